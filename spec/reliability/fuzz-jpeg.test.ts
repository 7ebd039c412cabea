/**
 * Fuzzing the JPEG reader (lib/data/jpeg.ts over jpeg-js): random bytes and mutated valid
 * files - bit flips, truncation, segment lengths and frame sizes forged, component counts and
 * sampling factors changed, entropy-coded data damaged - always give a one-line UserError or
 * a valid image, quickly and without allocating the forged size.
 */
import jpeg from 'jpeg-js';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeJpegRgb } from '../../lib/data/index.js';
import { assertPeakMemory, clean, mutations, randomBytes, runs, seen } from './fuzz.js';

function encode(width: number, height: number, quality: number): Uint8Array {
  const rgba = Uint8Array.from({ length: width * height * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * 29 + (i >> 6) * 7) % 256));
  return Uint8Array.from(jpeg.encode({ width, height, data: rgba }, quality).data);
}

const bases = [encode(16, 16, 80), encode(24, 16, 95), encode(8, 8, 30)];
const read = clean((b: Uint8Array) => decodeJpegRgb(b, 'fuzz.jpg'));

interface Segment {
  pos: number;
  marker: number;
  length: number;
}

/** Marker segments up to and including the first start-of-scan. */
function segmentsOf(bytes: Uint8Array): Segment[] {
  const out: Segment[] = [];
  for (let pos = 2; pos + 4 <= bytes.length; ) {
    const marker = bytes[pos + 1]!;
    const length = (bytes[pos + 2]! << 8) | bytes[pos + 3]!;
    out.push({ pos, marker, length });
    if (marker === 0xda) break;
    pos += 2 + length;
  }
  return out;
}

const sofOf = (bytes: Uint8Array) => segmentsOf(bytes).find((s) => s.marker === 0xc0)!;
const scanStart = (bytes: Uint8Array) => {
  const sos = segmentsOf(bytes).find((s) => s.marker === 0xda)!;
  return sos.pos + 2 + sos.length;
};

/** Frame header fields forged: size (small, huge, or large within the pixel limit), precision, components, sampling. */
function frameEdits(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const sof = sofOf(base).pos;
  const u16 = fc.oneof(fc.constantFrom(0, 1, 7, 8, 9, 255, 256, 8192, 8193, 0xffff), fc.integer({ min: 0, max: 0xffff }));
  const set16 = (at: number, v: number) => (b: Uint8Array) => b.set([v >> 8, v & 0xff], at);
  return fc
    .oneof(
      fc.tuple(fc.constantFrom(5, 7), u16).map(([at, v]) => set16(sof + at, v)),
      fc.tuple(fc.integer({ min: 1000, max: 8192 }), fc.integer({ min: 1000, max: 8192 })).map(([h, w]) => (b: Uint8Array) => {
        set16(sof + 5, h)(b);
        set16(sof + 7, w)(b);
      }),
      fc.integer({ min: 0, max: 255 }).map((v) => (b: Uint8Array) => void (b[sof + 4] = v)), // precision
      fc.integer({ min: 0, max: 255 }).map((v) => (b: Uint8Array) => void (b[sof + 9] = v)), // component count
      fc.tuple(fc.nat(2), fc.integer({ min: 0, max: 255 })).map(([c, v]) => (b: Uint8Array) => void (b[sof + 11 + 3 * c] = v)), // sampling factors
      fc.tuple(fc.nat(2), fc.integer({ min: 0, max: 255 })).map(([c, v]) => (b: Uint8Array) => void (b[sof + 12 + 3 * c] = v)), // quantisation table
      fc.constantFrom(0xc1, 0xc2, 0xc3, 0xc9, 0xcf).map((m) => (b: Uint8Array) => void (b[sof + 1] = m)), // another frame type
    )
    .map((edit) => {
      const out = base.slice();
      edit(out);
      return out;
    });
}

/** A segment's length field set to an extreme value. */
function lengthEdits(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const segments = segmentsOf(base);
  return fc.tuple(fc.nat(segments.length - 1), fc.oneof(fc.constantFrom(0, 1, 2, 3, 0xfffe, 0xffff), fc.integer({ min: 0, max: 0xffff }))).map(([i, v]) => {
    const out = base.slice();
    out.set([v >> 8, v & 0xff], segments[i]!.pos + 2);
    return out;
  });
}

/** Damage inside the entropy-coded data (headers intact), or whole segments dropped. */
function scanEdits(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const start = scanStart(base);
  const segments = segmentsOf(base);
  return fc.oneof(
    fc.array(fc.tuple(fc.nat(base.length - start - 3), fc.nat(7)), { minLength: 1, maxLength: 6 }).map((flips) => {
      const out = base.slice();
      for (const [at, bit] of flips) out[start + at]! ^= 1 << bit;
      return out;
    }),
    fc.nat(base.length - start - 3).map((cut) => Uint8Array.from([...base.subarray(0, start + cut), 0xff, 0xd9])), // scan cut short, end marker kept
    fc.nat(segments.length - 2).map((i) => {
      const s = segments[i]!;
      return Uint8Array.from([...base.subarray(0, s.pos), ...base.subarray(s.pos + 2 + s.length)]);
    }),
  );
}

test('valid JPEGs decode', () => {
  for (const b of bases) read(b);
  assert.is(seen(/^ok$/), bases.length);
});

test('random bytes, with and without the start-of-image marker', () => {
  fc.assert(fc.property(randomBytes(Uint8Array.from([0xff, 0xd8, 0xff])), read), runs(300));
});

test('bit flips, truncation, overwrites and splices of valid files', () => {
  for (const base of bases) fc.assert(fc.property(mutations(base), read), runs(150));
});

test('frame sizes, components and sampling forged: refused before the frame is allocated', () => {
  for (const base of bases) fc.assert(fc.property(frameEdits(base), read), runs(120));
  assert.ok(seen(/bytes cannot hold a #x# image/) > 0, 'forged sizes reach the size-versus-bytes check');
});

test('segment length fields forged', () => {
  for (const base of bases) fc.assert(fc.property(lengthEdits(base), read), runs(80));
});

test('damaged entropy-coded data and dropped segments', () => {
  for (const base of bases) fc.assert(fc.property(scanEdits(base), read), runs(120));
});

test('peak memory stayed bounded', assertPeakMemory);

test.run();
