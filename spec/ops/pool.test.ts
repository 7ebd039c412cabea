/** GAP and max pooling: backends agree with the reference; gradients match finite differences. */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, gap, maxPool2d } from '../../lib/index.js';
import { assertGradient } from '../helpers/gradcheck.js';
import { distinctValues, values } from '../helpers/arbitrary.js';
import { assertClose, kernelBackends, seeded, valueAndGrads } from './helpers.js';

const dims = fc.record({
  N: fc.integer({ min: 1, max: 2 }),
  C: fc.integer({ min: 1, max: 5 }),
  H: fc.integer({ min: 1, max: 11 }),
  W: fc.integer({ min: 1, max: 11 }),
  seed: fc.nat(),
});

const poolArb = dims
  .chain((d) => fc.record({ d: fc.constant(d), k: fc.integer({ min: 1, max: Math.min(d.H, d.W, 4) }), s: fc.integer({ min: 1, max: 3 }) }))
  .chain(({ d, k, s }) => fc.record({ d: fc.constant(d), k: fc.constant(k), s: fc.constant(s), p: fc.integer({ min: 0, max: Math.floor(k / 2) }) }));

/** Distinct values as a float32 tensor (no ties: the max is unique in every window). */
const distinct = (shape: number[], seed: number): Tensor => new Tensor(Float32Array.from(distinctValues(shape, seed, 0.01).data), shape);

for (const backend of kernelBackends) {
  test(`gap forward/backward on ${backend} agrees with the reference`, () => {
    fc.assert(
      fc.property(dims, (d) => {
        const x = seeded([d.N, d.C, d.H, d.W], d.seed);
        const ref = valueAndGrads('reference', gap, [x]);
        valueAndGrads(backend, gap, [x]).forEach((a, i) => assertClose(a, ref[i]!, `gap ${i} ${JSON.stringify(d)}`));
      }),
      { numRuns: 20 },
    );
  });

  test(`maxPool2d forward/backward on ${backend} agrees with the reference`, () => {
    fc.assert(
      fc.property(poolArb, ({ d, k, s, p }) => {
        const x = distinct([d.N, d.C, d.H, d.W], d.seed);
        const f = (t: Tensor) => maxPool2d(t, { kernel: k, stride: s, padding: p });
        const ref = valueAndGrads('reference', f, [x]);
        valueAndGrads(backend, f, [x]).forEach((a, i) => assertClose(a, ref[i]!, `maxPool2d ${i} k${k} s${s} p${p} ${JSON.stringify(d)}`));
      }),
      { numRuns: 25 },
    );
  });
}

test('gap and maxPool2d gradients match finite differences (float64 reference)', () => {
  fc.assert(
    fc.property(poolArb, ({ d, k, s, p }) => {
      const shape = [d.N, d.C, Math.min(d.H, 6), Math.min(d.W, 6)];
      assertGradient(gap, [values(shape, d.seed)]);
      if (k > Math.min(shape[2]!, shape[3]!)) return;
      // distinct values 0.01 apart stay untied under the 1e-6 finite-difference step
      assertGradient((t) => maxPool2d(t, { kernel: k, stride: s, padding: p }), [distinctValues(shape, d.seed, 0.01)]);
    }),
    { numRuns: 20 },
  );
});

test('maxPool2d: ties go to the first maximum (row-major), as PyTorch', () => {
  for (const backend of ['reference', ...kernelBackends] as const) {
    const [, dx] = valueAndGrads(backend, (t) => maxPool2d(t, { kernel: 2 }), [new Tensor(new Float32Array(4).fill(1), [1, 1, 2, 2])]);
    assert.equal(Array.from(dx!).map((v) => v !== 0), [true, false, false, false], backend);
  }
});

test('pooling shape errors name the op and the shapes', () => {
  assert.throws(() => gap(seeded([2, 3], 1)), /gap: expects a non-empty \[N,C,H,W\] input, got \[2,3\]/);
  assert.throws(() => maxPool2d(seeded([1, 1, 4, 4], 1), { kernel: 3, padding: 2 }), /maxPool2d: padding 2/);
  assert.throws(() => maxPool2d(seeded([1, 1, 2, 2], 1), { kernel: 3 }), /maxPool2d: input \[1,1,2,2\] is smaller than kernel 3/);
});

test.run();
