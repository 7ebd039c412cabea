import { UserError } from '../errors.js';

/**
 * Largest image we agree to decode: 8192 x 8192 = 64 Mpixel. Decoding allocates several
 * buffers per pixel (RGBA bytes, float CHW), so a forged header beyond this would exhaust memory.
 */
export const MAX_IMAGE_PIXELS = 8192 * 8192;

/** Refuse a declared image size before anything is allocated for it. */
export function checkImageSize(width: number, height: number, file: string): void {
  if (!(width > 0 && height > 0)) throw new UserError(`${file}: invalid image size ${width}x${height}`);
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new UserError(`${file}: image size ${width}x${height} exceeds the limit of ${MAX_IMAGE_PIXELS} pixels (8192x8192)`);
  }
}
