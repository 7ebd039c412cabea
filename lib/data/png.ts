/**
 * PNG reading and writing for the dataset folder: RGB images and grey saliency maps go through
 * pngjs; label masks (palette or grey indices) through our own exact sample decoder.
 * Every read checks the IHDR header first, so an oversized or non-PNG file fails before decoding.
 */
import { PNG } from 'pngjs';
import { UserError } from '../core/errors.js';
import { decodePngSamples } from './png-palette.js';
import { inflateImageData, parsePngChunks, readPngHeader } from './png-chunks.js';
import type { Raster } from './raster.js';

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decode with pngjs to RGBA (raw sample values when `skipRescale`), wrapping its errors. */
function decodeRgba(bytes: Uint8Array, file: string, skipRescale = false): { width: number; height: number; rgba: ArrayLike<number> } {
  // Header limits, CRCs, a complete chunk list and image data of exactly the declared size,
  // before pngjs sees it: pngjs allocates the whole declared image and silently zero-fills
  // the pixels that truncated image data lacks.
  inflateImageData(parsePngChunks(bytes, file), readPngHeader(bytes, file), file);
  try {
    const png = PNG.sync.read(asBuffer(bytes), { skipRescale });
    return { width: png.width, height: png.height, rgba: png.data };
  } catch (e) {
    throw new UserError(`${file}: corrupt or truncated PNG (${(e as Error).message})`);
  }
}

/** Keep `channels` of the four RGBA channels (alpha is dropped; grey PNGs have R = G = B). */
function pickChannels(rgba: ArrayLike<number>, pixels: number, channels: 1 | 3): Uint8Array {
  const out = new Uint8Array(pixels * channels);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < channels; c++) out[p * channels + c] = rgba[4 * p + c];
  return out;
}

/** Decode any PNG to 8-bit RGB (3 channels). */
export function decodePngRgb(bytes: Uint8Array, file: string): Raster {
  const { width, height, rgba } = decodeRgba(bytes, file);
  return { width, height, data: pickChannels(rgba, width * height, 3) };
}

/** Decode any PNG to 8-bit grey (1 channel; for colour files, the red channel). */
export function decodePngGrey(bytes: Uint8Array, file: string): Raster {
  const { width, height, rgba } = decodeRgba(bytes, file);
  return { width, height, data: pickChannels(rgba, width * height, 1) };
}

/**
 * Decode a label PNG to its indices (1 channel): palette PNGs give palette indices, grey PNGs
 * their grey levels. Colour PNGs are refused: mapping colours back to labels is ambiguous.
 */
export function decodePngLabels(bytes: Uint8Array, file: string): Raster {
  const header = readPngHeader(bytes, file);
  const { width, height, colorType } = header;
  if (colorType !== 0 && colorType !== 3) {
    throw new UserError(`${file}: label PNG must be palette or grey, not colour type ${colorType} (${colorType === 2 || colorType === 6 ? 'RGB' : 'grey+alpha'})`);
  }
  if (!header.interlaced && header.bitDepth <= 8) {
    const { samples } = decodePngSamples(bytes, file);
    return { width, height, data: samples };
  }
  if (colorType === 3) return { width, height, data: paletteIndicesOfColours(bytes, file) };
  const grey = decodeRgba(bytes, file, true); // 16-bit or interlaced grey: raw levels
  const data = new Uint8Array(width * height);
  for (let p = 0; p < data.length; p++) {
    const level = grey.rgba[4 * p];
    if (level > 255) throw new UserError(`${file}: label ${level} at pixel (${Math.floor(p / width)}, ${p % width}) does not fit in 8 bits`);
    data[p] = level;
  }
  return { width, height, data };
}

/** Interlaced palette PNGs (rare): decode to colours and map each back to its first palette entry. */
function paletteIndicesOfColours(bytes: Uint8Array, file: string): Uint8Array {
  const plte = parsePngChunks(bytes, file).find((c) => c.type === 'PLTE');
  if (!plte) throw new UserError(`${file}: corrupt PNG (palette image without a PLTE chunk)`);
  const { rgba, width, height } = decodeRgba(bytes, file);
  const indexOf = new Map<number, number>();
  for (let i = plte.data.length / 3 - 1; i >= 0; i--) indexOf.set((plte.data[3 * i] << 16) | (plte.data[3 * i + 1] << 8) | plte.data[3 * i + 2], i);
  const data = new Uint8Array(width * height);
  for (let p = 0; p < data.length; p++) data[p] = indexOf.get((rgba[4 * p] << 16) | (rgba[4 * p + 1] << 8) | rgba[4 * p + 2]) ?? 0;
  return data;
}

/** Encode HWC 8-bit RGB as a colour PNG. */
export function encodePngRgb(width: number, height: number, rgb: Uint8Array): Uint8Array {
  if (rgb.length !== width * height * 3) throw new RangeError(`encodePngRgb: ${rgb.length} bytes for ${width}x${height}x3`);
  return PNG.sync.write({ width, height, data: asBuffer(rgb) } as PNG, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

/** Encode 8-bit grey as a grey PNG. */
export function encodePngGrey(width: number, height: number, grey: Uint8Array): Uint8Array {
  if (grey.length !== width * height) throw new RangeError(`encodePngGrey: ${grey.length} bytes for ${width}x${height}`);
  return PNG.sync.write({ width, height, data: asBuffer(grey) } as PNG, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}
