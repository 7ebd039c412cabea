/**
 * JPEG reading via jpeg-js. The frame header (SOF) is located first, so the declared size is
 * checked against the pixel limit, and against what the file can hold, before jpeg-js
 * allocates anything.
 */
import jpeg from 'jpeg-js';
import { UserError } from '../core/errors.js';
import type { Raster } from './raster.js';
import { checkImageSize } from './size-limit.js';

interface JpegFrame {
  width: number;
  height: number;
  /** Sampling factors of each component (null when the frame header is cut short). */
  sampling: Array<{ h: number; v: number }> | null;
}

/** The first start-of-frame segment: declared size and component sampling factors. */
function readJpegFrame(bytes: Uint8Array, file: string): JpegFrame {
  if (bytes.length < 2 || bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new UserError(`${file}: not a JPEG file (no start-of-image marker)`);
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) throw new UserError(`${file}: corrupt JPEG (expected a marker at byte ${pos})`);
    const marker = bytes[pos + 1];
    if (marker === 0xff) { pos += 1; continue; } // fill byte
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { pos += 2; continue; } // no length
    const length = (bytes[pos + 2] << 8) | bytes[pos + 3];
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (pos + 9 > bytes.length) break;
      const height = (bytes[pos + 5] << 8) | bytes[pos + 6];
      const width = (bytes[pos + 7] << 8) | bytes[pos + 8];
      checkImageSize(width, height, file);
      const count = bytes[pos + 9] ?? 0;
      let sampling: JpegFrame['sampling'] = null;
      if (pos + 10 + 3 * count <= bytes.length) {
        sampling = Array.from({ length: count }, (_, i) => ({ h: bytes[pos + 11 + 3 * i]! >> 4, v: bytes[pos + 11 + 3 * i]! & 15 }));
      }
      return { width, height, sampling };
    }
    if (marker === 0xda || marker === 0xd9) throw new UserError(`${file}: corrupt JPEG (no frame header before the image data)`);
    pos += 2 + length;
  }
  throw new UserError(`${file}: truncated JPEG (ends before the frame header)`);
}

/** Width and height declared by a JPEG's first start-of-frame segment. */
export function readJpegHeader(bytes: Uint8Array, file: string): { width: number; height: number } {
  const { width, height } = readJpegFrame(bytes, file);
  return { width, height };
}

/**
 * The fewest bytes that can hold a frame's entropy-coded data: every 8x8 block of every
 * component is coded (its DC coefficient, in the first scan that covers it) with at least one
 * bit. Block counts per component are those jpeg-js allocates one 256-byte block for.
 */
function minimumBytes({ width, height, sampling }: JpegFrame): number {
  if (!sampling || sampling.length === 0) return 0; // jpeg-js refuses such frames itself
  const maxH = Math.max(1, ...sampling.map((s) => s.h)), maxV = Math.max(1, ...sampling.map((s) => s.v));
  let blocks = 0;
  for (const { h, v } of sampling) blocks += Math.ceil((Math.ceil(width / 8) * h) / maxH) * Math.ceil((Math.ceil(height / 8) * v) / maxV);
  return Math.ceil(blocks / 8);
}

function hasEndMarker(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 2; i >= 2; i--) if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true;
  return false;
}

/** Decode a baseline or progressive JPEG to 8-bit RGB (HWC). */
export function decodeJpegRgb(bytes: Uint8Array, file: string): Raster {
  const frame = readJpegFrame(bytes, file);
  const { width, height } = frame;
  // jpeg-js tolerates a missing tail and returns grey garbage; a truncated file is an error here.
  if (!hasEndMarker(bytes)) throw new UserError(`${file}: truncated JPEG (no end-of-image marker)`);
  // jpeg-js allocates every block of the declared frame before reading any image data.
  const least = minimumBytes(frame);
  if (bytes.length < least) {
    throw new UserError(`${file}: truncated JPEG (${bytes.length} bytes cannot hold a ${width}x${height} image, which needs at least ${least})`);
  }
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      // A later frame header may not declare more pixels than the first one, checked above.
      maxResolutionInMP: (width * height) / 1e6,
      maxMemoryUsageInMB: 2048,
    });
  } catch (e) {
    throw new UserError(`${file}: corrupt JPEG (${(e as Error).message})`);
  }
  if (decoded.width !== width || decoded.height !== height || decoded.data.length !== width * height * 3) {
    throw new UserError(`${file}: corrupt JPEG (decoded ${decoded.width}x${decoded.height} for a declared ${width}x${height})`);
  }
  return { width, height, data: decoded.data };
}
