/**
 * The PASCAL VOC colour map: label index -> RGB, as used by the VOC SegmentationClass PNGs
 * (0 black background, 1 dark red, ..., 255 cream "ignore"). Bits of the index are spread
 * over the high bits of the three channels, so all 256 colours are distinct.
 */
function buildVocPalette(): Uint8Array {
  const palette = new Uint8Array(256 * 3);
  for (let index = 0; index < 256; index++) {
    let r = 0, g = 0, b = 0;
    for (let bit = 0, c = index; bit < 8; bit++, c >>= 3) {
      r |= ((c >> 0) & 1) << (7 - bit);
      g |= ((c >> 1) & 1) << (7 - bit);
      b |= ((c >> 2) & 1) << (7 - bit);
    }
    palette.set([r, g, b], index * 3);
  }
  return palette;
}

/** The 256-entry PASCAL VOC colour map, flat RGB triples ([256*3], index i at 3i..3i+2). */
export const VOC_PALETTE: Readonly<Uint8Array> = buildVocPalette();
