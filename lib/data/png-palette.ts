/**
 * Palette PNGs (colour type 3) are encoded here, and label PNGs decoded here, because pngjs can
 * neither write palettes nor hand back the indices it reads: masks must round-trip exactly.
 */
import { deflateSync } from 'node:zlib';
import { UserError } from '../core/errors.js';
import { VOC_PALETTE } from './palette.js';
import { assemblePng, encodePngChunk, ihdrData, inflateImageData, parsePngChunks, readPngHeader } from './png-chunks.js';

/** Encode [H,W] indices as an 8-bit palette PNG (default palette: PASCAL VOC, all 256 entries). */
export function encodePalettePng(width: number, height: number, indices: Uint8Array, palette: Uint8Array = VOC_PALETTE): Uint8Array {
  if (indices.length !== width * height) throw new RangeError(`encodePalettePng: ${indices.length} indices for ${width}x${height}`);
  const raw = new Uint8Array(height * (width + 1)); // filter byte 0 (None) before each row
  for (let y = 0; y < height; y++) raw.set(indices.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  return assemblePng([
    encodePngChunk('IHDR', ihdrData(width, height, 8, 3)),
    encodePngChunk('PLTE', palette),
    encodePngChunk('IDAT', deflateSync(raw, { level: 9 })),
    encodePngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** Undo the per-row PNG filters in place, for one byte per pixel (filters then act on bytes). */
function unfilter(raw: Uint8Array, height: number, rowBytes: number, file: string): void {
  const bpp = 1;
  const stride = rowBytes + 1;
  for (let y = 0; y < height; y++) {
    const row = y * stride + 1;
    const prev = row - stride; // only read when y > 0
    const filter = raw[row - 1];
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= bpp ? raw[row + i - bpp] : 0;
      const b = y > 0 ? raw[prev + i] : 0;
      const c = i >= bpp && y > 0 ? raw[prev + i - bpp] : 0;
      let predictor: number;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = a; break;
        case 2: predictor = b; break;
        case 3: predictor = (a + b) >> 1; break;
        case 4: {
          const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new UserError(`${file}: corrupt PNG (unknown filter type ${filter} in row ${y})`);
      }
      raw[row + i] = (raw[row + i] + predictor) & 0xff;
    }
  }
}

/**
 * Decode the raw sample values of a non-interlaced, one-sample-per-pixel PNG of at most 8 bits:
 * palette indices (colour type 3) or grey levels (colour type 0) - the two ways masks are stored.
 * Done here rather than by pngjs so no palette lookup, rescaling or tRNS transparency touches them.
 */
export function decodePngSamples(bytes: Uint8Array, file: string): { width: number; height: number; samples: Uint8Array } {
  const header = readPngHeader(bytes, file);
  const { width, height, bitDepth } = header;
  if ((header.colorType !== 0 && header.colorType !== 3) || header.interlaced || bitDepth > 8) {
    throw new RangeError(`decodePngSamples: ${file} is not a non-interlaced 8-bit palette or grey PNG`);
  }
  const chunks = parsePngChunks(bytes, file);
  if (header.colorType === 3 && !chunks.some((c) => c.type === 'PLTE')) throw new UserError(`${file}: corrupt PNG (palette image without a PLTE chunk)`);
  const rowBytes = Math.ceil((width * bitDepth) / 8);
  const raw = inflateImageData(chunks, header, file);
  unfilter(raw, height, rowBytes, file);

  const samples = new Uint8Array(width * height);
  const perByte = 8 / bitDepth, mask = (1 << bitDepth) - 1;
  for (let y = 0; y < height; y++) {
    const row = y * (rowBytes + 1) + 1;
    for (let x = 0; x < width; x++) {
      const byte = raw[row + Math.floor(x / perByte)];
      const shift = 8 - bitDepth * ((x % perByte) + 1); // leftmost pixel sits in the high bits
      samples[y * width + x] = (byte >> shift) & mask;
    }
  }
  return { width, height, samples };
}
