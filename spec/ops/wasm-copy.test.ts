/** The WebAssembly strided copy behind the packing writers: every element where the loops put it. */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stridedCopy, type Level } from '../../ops/kernels/wasm-copy.js';
import { unpackRows, unpackRowsLoop, unpackedSize, type CoreUnpack } from '../../ops/kernels/unpack.js';

test('stridedCopy exists on Node (the packing writers take the WebAssembly path)', () => {
  assert.ok(stridedCopy() !== null);
});

const level = fc.record({ count: fc.integer({ min: 0, max: 6 }), src: fc.integer({ min: 0, max: 9 }), dst: fc.integer({ min: 1, max: 9 }) });

test('stridedCopy writes fill, then each level tuple src[src0 + sum i*s] -> dst[at + dst0 + sum i*d], bit for bit, nothing outside', () => {
  const copy = stridedCopy()!;
  fc.assert(
    fc.property(
      // contiguous innermost levels (strides 1) take the 4-wide path; counts 0-9 cover its tail
      fc.tuple(level, level, level, fc.oneof(level, fc.record({ count: fc.integer({ min: 0, max: 9 }), src: fc.constant(1), dst: fc.constant(1) }))),
      fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom(0, -Infinity), fc.boolean(),
      (levels, src0, at, fill, keepStaged) => {
        const [l3, l2, l1, l0] = levels as [Level, Level, Level, Level];
        const reach = (pick: 'src' | 'dst'): number => levels.reduce((s, l) => s + Math.max(0, l.count - 1) * l[pick], 0);
        // distinct bit patterns, a NaN payload among them (copied as raw words)
        const srcLen = src0 + reach('src') + 1;
        const bits = Int32Array.from({ length: srcLen }, (_, i) => (i === 1 ? 0x7fc00001 : 0x3f800000 + i));
        const src = new Float32Array(bits.buffer);
        const length = reach('dst') + 1 + 2;
        const dst0 = 1;
        const want = new Int32Array(at + length + 2).fill(0x12345678);
        want.fill(new Int32Array(Float32Array.of(fill).buffer)[0]!, at, at + length);
        for (let i3 = 0; i3 < l3.count; i3++)
          for (let i2 = 0; i2 < l2.count; i2++)
            for (let i1 = 0; i1 < l1.count; i1++)
              for (let i0 = 0; i0 < l0.count; i0++)
                want[at + dst0 + i3 * l3.dst + i2 * l2.dst + i1 * l1.dst + i0 * l0.dst] = bits[src0 + i3 * l3.src + i2 * l2.src + i1 * l1.src + i0 * l0.src]!;
        const out = new Float32Array(at + length + 2);
        new Int32Array(out.buffer).fill(0x12345678);
        let staged = copy.stage(src);
        if (keepStaged) staged = copy.stage(src, staged);
        copy.write(staged, src0, [l3, l2, l1, l0], out, at, length, dst0, fill);
        assert.equal(Array.from(new Int32Array(out.buffer)), Array.from(want));
      },
    ),
    { numRuns: 500 },
  );
});

test('a staged source replaced by another is refused, not read', () => {
  const copy = stridedCopy()!;
  const a = copy.stage(Float32Array.of(1, 2));
  copy.stage(Float32Array.of(3, 4));
  const one: Level = { count: 1, src: 1, dst: 1 };
  assert.throws(() => copy.write(a, 0, [one, one, one, one], new Float32Array(1), 0, 1, 0, 0), /replaced/);
});

test('unpackRows (whole row groups in WebAssembly) writes what the loop writes for any row range, and nothing else', () => {
  fc.assert(
    fc.property(
      fc.record({ N: fc.integer({ min: 1, max: 3 }), K: fc.integer({ min: 1, max: 9 }), OH: fc.integer({ min: 1, max: 5 }), OW: fc.integer({ min: 1, max: 13 }) }),
      fc.nat(), fc.nat(), fc.boolean(), fc.constantFrom(4, 7, 8), fc.constantFrom(1, 2),
      ({ N, K, OH, OW }, a, b, bias, PX, KB) => {
        const XB = Math.ceil(OW / PX);
        const Kp = Math.ceil(K / (4 * KB)) * 4 * KB;
        const u: CoreUnpack = { N, K, OH, OW, XB, Kp, PX, KB, bias: bias ? Float32Array.from({ length: K }, (_, k) => k - 2.5) : null };
        const rows = N * OH * XB;
        const [row0, row1] = [a % (rows + 1), b % (rows + 1)].sort((p, q) => p - q) as [number, number];
        const r = Float32Array.from({ length: (row1 - row0) * Kp * PX }, (_, i) => i + 0.25);
        const [got, want] = [0, 1].map(() => new Float32Array(unpackedSize(u)).fill(-7));
        unpackRows(u, r, row0, row1, got!);
        unpackRowsLoop(u, r, row0, row1, want!);
        assert.equal(Array.from(got!), Array.from(want!));
      },
    ),
    { numRuns: 500 },
  );
});

test.run();
