/** Reading an RGB image file of either format the dataset folder allows (PNG or JPEG). */
import { extname } from 'node:path';
import { decodeJpegRgb } from './jpeg.js';
import { decodePngRgb } from './png.js';
import type { Raster } from './raster.js';
import { readBytes } from './files.js';

/** Decode a PNG or JPEG file to 8-bit RGB, by its content (falling back to its extension for the error). */
export function readImageFile(path: string): Raster {
  const bytes = readBytes(path, 'image');
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50;
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  if (isPng || (!isJpeg && extname(path).toLowerCase() === '.png')) return decodePngRgb(bytes, path);
  return decodeJpegRgb(bytes, path);
}
