/**
 * Palette PNGs (colour type 3), encoded and decoded here because pngjs can neither write them
 * nor hand back the palette indices it reads: label masks must round-trip as indices, exactly.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { UserError } from '../errors.js';
import { VOC_PALETTE } from './palette.js';
import { assemblePng, encodePngChunk, ihdrData, parsePngChunks, readPngHeader } from './png-chunks.js';

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

/** Undo the per-row PNG filters in place; `bpp` = bytes per complete pixel (at least 1). */
function unfilter(raw: Uint8Array, height: number, rowBytes: number, bpp: number, file: string): void {
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
 * Decode the palette indices of a colour-type-3 PNG. Interlaced files are rare for masks;
 * they are decoded to colours by `fallback` and mapped back to the first matching palette entry.
 */
export function decodePalettePng(
  bytes: Uint8Array,
  file: string,
  fallback: (bytes: Uint8Array, file: string) => Uint8Array,
): { width: number; height: number; indices: Uint8Array } {
  const header = readPngHeader(bytes, file);
  const { width, height, bitDepth } = header;
  if (header.colorType !== 3) throw new RangeError(`decodePalettePng: ${file} has colour type ${header.colorType}`);
  const chunks = parsePngChunks(bytes, file);
  const plte = chunks.find((c) => c.type === 'PLTE');
  if (!plte || plte.data.length % 3 !== 0 || plte.data.length === 0) throw new UserError(`${file}: corrupt PNG (palette image without a valid PLTE chunk)`);
  if (header.interlaced) return { width, height, indices: indicesFromColours(fallback(bytes, file), plte.data) };

  const idat = Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data));
  const rowBytes = Math.ceil((width * bitDepth) / 8);
  const expected = height * (rowBytes + 1);
  let raw: Uint8Array;
  try {
    raw = inflateSync(idat, { maxOutputLength: expected });
  } catch (e) {
    throw new UserError(`${file}: corrupt PNG (image data does not inflate: ${(e as Error).message})`);
  }
  if (raw.length !== expected) throw new UserError(`${file}: truncated PNG (image data holds ${raw.length} of ${expected} bytes)`);
  unfilter(raw, height, rowBytes, 1, file);

  const indices = new Uint8Array(width * height);
  const perByte = 8 / bitDepth, mask = (1 << bitDepth) - 1;
  for (let y = 0; y < height; y++) {
    const row = y * (rowBytes + 1) + 1;
    for (let x = 0; x < width; x++) {
      const byte = raw[row + Math.floor(x / perByte)];
      const shift = 8 - bitDepth * ((x % perByte) + 1); // leftmost pixel in the high bits
      indices[y * width + x] = (byte >> shift) & mask;
    }
  }
  return { width, height, indices };
}

function indicesFromColours(rgba: Uint8Array, palette: Uint8Array): Uint8Array {
  const byColour = new Map<number, number>();
  for (let i = palette.length / 3 - 1; i >= 0; i--) byColour.set((palette[3 * i] << 16) | (palette[3 * i + 1] << 8) | palette[3 * i + 2], i);
  const indices = new Uint8Array(rgba.length / 4);
  for (let p = 0; p < indices.length; p++) indices[p] = byColour.get((rgba[4 * p] << 16) | (rgba[4 * p + 1] << 8) | rgba[4 * p + 2]) ?? 0;
  return indices;
}
