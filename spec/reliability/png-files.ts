/**
 * PNG building blocks for the reliability suites (not a suite itself): an encoder for every
 * colour type, bit depth and Adam7 interlacing (pngjs writes none of the rarer ones), the
 * chunk layout of a file, and chunk-aware mutators that keep CRCs valid so that a mutation
 * reaches the decoder instead of stopping at the CRC check.
 */
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { crc32 } from '../../lib/data/crc32.js';
import { assemblePng, encodePngChunk } from '../../lib/data/png-chunks.js';
import { VOC_PALETTE } from '../../lib/data/palette.js';
import { extremeU32 } from './fuzz.js';

export const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

export interface PngSpec {
  width: number;
  height: number;
  colorType: number;
  bitDepth: number;
  interlaced: boolean;
  /** width * height * channels samples, each below 2^bitDepth. */
  samples: number[];
}

/** Pack one row of samples after a filter byte 0 (None): 16-bit big-endian, sub-byte MSB first. */
function packRow(values: number[], bitDepth: number): number[] {
  if (bitDepth === 16) return [0, ...values.flatMap((v) => [v >> 8, v & 0xff])];
  const bytes = new Array<number>(Math.ceil((values.length * bitDepth) / 8)).fill(0);
  values.forEach((v, i) => {
    const bit = i * bitDepth;
    bytes[bit >> 3]! |= v << (8 - bitDepth - (bit & 7));
  });
  return [0, ...bytes];
}

/** Encode a PNG exactly as the spec says (filter None, one IDAT). */
export function encodePng(s: PngSpec): Uint8Array {
  const ch = CHANNELS[s.colorType]!;
  const pixel = (x: number, y: number) => s.samples.slice((y * s.width + x) * ch, (y * s.width + x + 1) * ch);
  const passes = s.interlaced ? ADAM7 : [[0, 0, 1, 1]];
  const raw: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    for (let y = y0!; y < s.height; y += dy!) {
      const row: number[] = [];
      for (let x = x0!; x < s.width; x += dx!) row.push(...pixel(x, y));
      if (row.length > 0) raw.push(...packRow(row, s.bitDepth));
    }
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, s.width);
  dv.setUint32(4, s.height);
  ihdr.set([s.bitDepth, s.colorType, 0, 0, s.interlaced ? 1 : 0], 8);
  return assemblePng([
    encodePngChunk('IHDR', ihdr),
    ...(s.colorType === 3 ? [encodePngChunk('PLTE', VOC_PALETTE.subarray(0, 3 * 2 ** Math.min(8, s.bitDepth)))] : []),
    encodePngChunk('IDAT', deflateSync(Uint8Array.from(raw))),
    encodePngChunk('IEND', new Uint8Array(0)),
  ]);
}

const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/** Any valid PNG spec up to `max` pixels a side. */
export function pngSpecArb(max = 20): fc.Arbitrary<PngSpec> {
  return fc
    .record({ width: fc.integer({ min: 1, max }), height: fc.integer({ min: 1, max }), colorType: fc.constantFrom(0, 2, 3, 4, 6), interlaced: fc.boolean() })
    .chain((r) => fc.constantFrom(...DEPTHS[r.colorType]!).map((bitDepth) => ({ ...r, bitDepth })))
    .chain((r) => {
      const n = r.width * r.height * CHANNELS[r.colorType]!;
      return fc.array(fc.integer({ min: 0, max: 2 ** r.bitDepth - 1 }), { minLength: n, maxLength: n }).map((samples) => ({ ...r, samples }));
    });
}

export interface ChunkAt {
  /** Offset of the length field. */
  pos: number;
  length: number;
  type: string;
}

/** The chunks of a (possibly damaged) file, as far as their length fields stay inside it. */
export function chunksOf(bytes: Uint8Array): ChunkAt[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: ChunkAt[] = [];
  for (let pos = 8; pos + 12 <= bytes.length; ) {
    const length = dv.getUint32(pos);
    if (pos + 12 + length > bytes.length) break;
    out.push({ pos, length, type: String.fromCharCode(...bytes.subarray(pos + 4, pos + 8)) });
    pos += 12 + length;
  }
  return out;
}

/** Recompute every CRC that lies inside the file. */
export function fixCrcs(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const dv = new DataView(out.buffer);
  for (const c of chunksOf(out)) dv.setUint32(c.pos + 8 + c.length, crc32(out.subarray(c.pos + 4, c.pos + 8), out.subarray(c.pos + 8, c.pos + 8 + c.length)));
  return out;
}

/** IHDR fields set to odd values (size, depth, colour type, interlace), with a valid CRC. */
export function headerEdits(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .oneof(
      fc.tuple(fc.constantFrom(16, 20), extremeU32).map(([at, v]) => (b: Uint8Array) => new DataView(b.buffer).setUint32(at, v)),
      fc.tuple(fc.constantFrom(24, 25, 26, 27, 28), fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(255))).map(([at, v]) => (b: Uint8Array) => void (b[at] = v)),
      // both sides large but within the pixel limit: the forged size must not be allocated
      fc.tuple(fc.integer({ min: 2000, max: 8192 }), fc.integer({ min: 2000, max: 8192 })).map(([w, h]) => (b: Uint8Array) => {
        new DataView(b.buffer).setUint32(16, w);
        new DataView(b.buffer).setUint32(20, h);
      }),
    )
    .map((edit) => {
      const out = base.slice();
      edit(out);
      return fixCrcs(out);
    });
}

/** A chunk's length field set to an extreme value (its CRC then no longer lines up). */
export function lengthEdits(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const chunks = chunksOf(base);
  return fc.tuple(fc.nat(chunks.length - 1), extremeU32).map(([i, v]) => {
    const out = base.slice();
    new DataView(out.buffer).setUint32(chunks[i]!.pos, v);
    return out;
  });
}

/** Bits flipped inside one chunk's data, CRC recomputed: the damage reaches inflate and unfilter. */
export function dataFlips(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const chunks = chunksOf(base).filter((c) => c.length > 0);
  return fc.tuple(fc.nat(chunks.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(7)), { minLength: 1, maxLength: 6 })).map(([i, flips]) => {
    const c = chunks[i]!;
    const out = base.slice();
    for (const [at, bit] of flips) out[c.pos + 8 + (at % c.length)]! ^= 1 << bit;
    return fixCrcs(out);
  });
}

/** Whole chunks dropped, duplicated or cut short (length and CRC kept consistent). */
export function chunkEdits(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const chunks = chunksOf(base);
  const whole = (c: ChunkAt) => base.subarray(c.pos, c.pos + 12 + c.length);
  return fc.tuple(fc.nat(chunks.length - 1), fc.constantFrom('drop', 'duplicate', 'shorten', 'move-first'), fc.nat()).map(([i, how, k]) => {
    const parts = chunks.map((c) => whole(c));
    const c = chunks[i]!;
    if (how === 'drop') parts.splice(i, 1);
    if (how === 'duplicate') parts.splice(i, 0, whole(c));
    if (how === 'move-first') parts.unshift(...parts.splice(i, 1));
    if (how === 'shorten') parts[i] = encodePngChunk(c.type, base.subarray(c.pos + 8, c.pos + 8 + (c.length === 0 ? 0 : k % c.length)));
    return assemblePng(parts);
  });
}
