/**
 * PNG container structure: signature, chunks (length, type, data, CRC) and the IHDR header.
 * Reading the header first lets us refuse absurd sizes before any pixel buffer exists.
 */
import { inflateSync } from 'node:zlib';
import { UserError } from '../core/errors.js';
import { crc32 } from './crc32.js';
import { checkImageSize } from './size-limit.js';

const SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The fields of a PNG IHDR chunk that decoding depends on. */
export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  colorType: number;
  interlaced: boolean;
}

/** One PNG chunk: its four-letter type and its data bytes. */
export interface PngChunk {
  type: string;
  data: Uint8Array;
}

const ALLOWED_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Read and validate the IHDR header (signature, size limit, colour type and bit depth). */
export function readPngHeader(bytes: Uint8Array, file: string): PngHeader {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new UserError(`${file}: not a PNG file (bad signature)`);
  if (bytes.length < 33) throw new UserError(`${file}: truncated PNG (no complete IHDR header)`);
  const dv = view(bytes);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (type !== 'IHDR' || dv.getUint32(8) !== 13) throw new UserError(`${file}: corrupt PNG (first chunk is not a 13-byte IHDR)`);
  const header: PngHeader = {
    width: dv.getUint32(16),
    height: dv.getUint32(20),
    bitDepth: bytes[24],
    colorType: bytes[25],
    interlaced: bytes[28] === 1,
  };
  if (!ALLOWED_DEPTHS[header.colorType]?.includes(header.bitDepth)) {
    throw new UserError(`${file}: corrupt PNG (colour type ${header.colorType} with bit depth ${header.bitDepth})`);
  }
  checkImageSize(header.width, header.height, file);
  return header;
}

/** Split a whole PNG into its chunks up to IEND, checking every CRC. */
export function parsePngChunks(bytes: Uint8Array, file: string): PngChunk[] {
  readPngHeader(bytes, file);
  const dv = view(bytes);
  const chunks: PngChunk[] = [];
  for (let pos = 8; ; ) {
    if (pos + 12 > bytes.length) throw new UserError(`${file}: truncated PNG (ends before the IEND chunk)`);
    const length = dv.getUint32(pos);
    if (pos + 12 + length > bytes.length) throw new UserError(`${file}: truncated PNG (chunk at byte ${pos} runs past the end)`);
    const typeBytes = bytes.subarray(pos + 4, pos + 8);
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    if (!typeBytes.every((b) => (b >= 65 && b <= 90) || (b >= 97 && b <= 122))) throw new UserError(`${file}: corrupt PNG (chunk at byte ${pos} has no valid type)`);
    const type = String.fromCharCode(...typeBytes);
    if (crc32(typeBytes, data) !== dv.getUint32(pos + 8 + length)) throw new UserError(`${file}: corrupt PNG (bad CRC in ${type} chunk)`);
    chunks.push({ type, data });
    if (type === 'IEND') return chunks;
    pos += 12 + length;
  }
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7 passes: first column, first row, column step, row step. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

/** Bytes the image data inflates to: for each (Adam7 pass or whole image) row, a filter byte and the packed samples. */
export function rawImageBytes(h: PngHeader): number {
  const rowBytes = (w: number) => 1 + Math.ceil((w * CHANNELS[h.colorType]! * h.bitDepth) / 8);
  if (!h.interlaced) return h.height * rowBytes(h.width);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = Math.ceil((h.width - x0) / dx), rows = Math.ceil((h.height - y0) / dy);
    if (w > 0 && rows > 0) total += rows * rowBytes(w);
  }
  return total;
}

/**
 * Inflate the IDAT chunks, refusing data that does not inflate to exactly the size the header
 * declares. Nothing larger than the declared size is ever allocated, and the output is at most
 * what the compressed bytes really hold, so a small file declaring a huge image fails here,
 * cheaply, instead of inside a decoder that would allocate the full image first.
 */
export function inflateImageData(chunks: readonly PngChunk[], header: PngHeader, file: string): Uint8Array {
  const idat = Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data));
  const expected = rawImageBytes(header);
  let raw: Uint8Array;
  try {
    raw = inflateSync(idat, { maxOutputLength: expected });
  } catch (e) {
    const tooLong = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new UserError(`${file}: corrupt or truncated PNG (image data ${tooLong ? `inflates to more than the ${expected} bytes of a ${header.width}x${header.height} image` : `does not inflate: ${(e as Error).message}`})`);
  }
  if (raw.length !== expected) throw new UserError(`${file}: truncated PNG (image data holds ${raw.length} of ${expected} bytes)`);
  return raw;
}

/** Serialise one chunk: length, type, data, CRC. */
export function encodePngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = view(out);
  const typeBytes = Uint8Array.from(type, (ch) => ch.charCodeAt(0));
  dv.setUint32(0, data.length);
  out.set(typeBytes, 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(typeBytes, data));
  return out;
}

/** Assemble a PNG file from its chunks (signature first). */
export function assemblePng(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(8 + chunks.reduce((n, c) => n + c.length, 0));
  out.set(SIGNATURE, 0);
  let pos = 8;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/** The 13 IHDR data bytes for a non-interlaced image. */
export function ihdrData(width: number, height: number, bitDepth: number, colorType: number): Uint8Array {
  const data = new Uint8Array(13);
  const dv = view(data);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  data[8] = bitDepth;
  data[9] = colorType;
  return data; // compression 0, filter 0, interlace 0
}
