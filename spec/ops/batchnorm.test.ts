/** Fused BatchNorm(+ residual, +ReLU): every backend agrees with the reference, gradients match finite differences, statistics are exact. */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, withPrecision } from '../../lib/index.js';
import { batchMoments, batchNormEval, batchNormTrain } from '../../ops/batchnorm.js';
import { batchNormKernels } from '../../ops/kernels/batchnorm.js';
import { bnAffineRef, bnInputGradRef, bnMaskedGradRef, bnPlaneGradSumsRef, bnPlaneMomentsRef } from '../../ops/reference/batchnorm.js';
import { assertGradient } from '../helpers/gradcheck.js';
import { values } from '../helpers/arbitrary.js';
import { assertClose, kernelBackends, onBackend, seeded, valueAndGrads } from './helpers.js';

const dims = fc.record({
  N: fc.integer({ min: 1, max: 3 }),
  C: fc.integer({ min: 1, max: 5 }),
  H: fc.integer({ min: 1, max: 9 }),
  W: fc.integer({ min: 1, max: 9 }),
  relu: fc.boolean(),
  affine: fc.boolean(),
  residual: fc.boolean(),
  seed: fc.nat(),
});

type Dims = typeof dims extends fc.Arbitrary<infer D> ? D : never;

/** Split the op's tensor inputs [x, (w, b)?, r?] as `d` lays them out. */
function unpack(d: Dims, [x, ...rest]: Tensor[]): [Tensor, Tensor | null, Tensor | null, { relu: boolean; residual?: Tensor }] {
  const r = d.residual ? rest[rest.length - 1] : undefined;
  return [x!, d.affine ? rest[0]! : null, d.affine ? rest[1]! : null, { relu: d.relu, ...(r ? { residual: r } : {}) }];
}

/** The op as a function of its tensor inputs. */
function trainOp(d: Dims) {
  return (...ts: Tensor[]) => batchNormTrain(...unpack(d, ts)).y;
}

function evalOp(d: Dims, mean: number[], variance: number[]) {
  return (...ts: Tensor[]) => {
    const [x, w, b, opts] = unpack(d, ts);
    return batchNormEval(x, w, b, mean, variance, opts);
  };
}

function inputs(d: Dims): Tensor[] {
  const shape = [d.N, d.C, d.H, d.W];
  const x = seeded(shape, d.seed, -2, 3);
  return [x, ...(d.affine ? [seeded([d.C], d.seed + 1, 0.5, 2), seeded([d.C], d.seed + 2)] : []), ...(d.residual ? [seeded(shape, d.seed + 3)] : [])];
}

for (const backend of kernelBackends) {
  test(`batchNorm train/eval (+ residual, +relu) forward and gradients on ${backend} agree with the reference`, () => {
    fc.assert(
      fc.property(dims, (d) => {
        const xs = inputs(d);
        const mean = Array.from({ length: d.C }, (_, c) => 0.1 * c - 0.2);
        const variance = Array.from({ length: d.C }, (_, c) => 0.5 + c);
        for (const [name, f] of [['train', trainOp(d)], ['eval', evalOp(d, mean, variance)]] as const) {
          const ref = valueAndGrads('reference', f, xs);
          valueAndGrads(backend, f, xs).forEach((a, i) => assertClose(a, ref[i]!, `${name} ${i} ${JSON.stringify(d)}`, 2e-4, 2e-4));
        }
      }),
      { numRuns: 25 },
    );
  });

  test(`batchNorm kernels on ${backend} agree with the references on odd plane sizes and multiples of 4 (reductions over 4 interleaved partials)`, () => {
    const k = batchNormKernels(backend);
    for (const [planes, plane] of [[1, 1], [3, 7], [6, 33], [4, 130], [2, 4], [5, 64], [3, 1024]] as const) {
      const x = seeded([planes * plane], planes + plane).data;
      const g = seeded([planes * plane], 5 + plane).data;
      const [s, t, u] = [1, 2, 3].map((i) => seeded([planes], i * plane).data);
      assertClose(k.planeMoments(x, planes, plane), bnPlaneMomentsRef(x, planes, plane), `moments ${planes}x${plane}`);
      for (const relu of [false, true]) {
        const y = bnAffineRef(x, plane, s!, t!, relu);
        assertClose(k.affine(x, plane, s!, t!, relu), y, `affine ${planes}x${plane} relu ${relu}`);
        assertClose(k.affine(x, plane, s!, t!, relu, g), bnAffineRef(x, plane, s!, t!, relu, g), `affine + residual ${planes}x${plane} relu ${relu}`);
        assertClose(k.maskedGrad(g, y, plane), bnMaskedGradRef(g, y), `masked grad ${planes}x${plane}`);
        assertClose(k.planeGradSums(g, y, x, plane, t!, relu), bnPlaneGradSumsRef(g, y, x, plane, t!, relu), `grad sums ${planes}x${plane}`);
        assertClose(k.inputGrad(g, y, x, plane, s!, t!, u!, relu), bnInputGradRef(g, y, x, plane, s!, t!, u!, relu), `input grad ${planes}x${plane}`);
      }
    }
  });
}

test('batchNorm gradients (train and eval, with and without residual, relu and affine) match finite differences', () => {
  fc.assert(
    fc.property(dims, (d) => {
      const shape = [d.N, d.C, Math.min(d.H, 4), Math.min(d.W, 4)];
      if (d.N * shape[2]! * shape[3]! < 2) return; // one value per channel: the normalised output is constant 0
      const xs = [values(shape, d.seed), ...(d.affine ? [values([d.C], d.seed + 1, { lo: 0.5, hi: 2 }), values([d.C], d.seed + 2)] : []), ...(d.residual ? [values(shape, d.seed + 3)] : [])];
      const mean = Array.from({ length: d.C }, (_, c) => 0.3 * c);
      const variance = Array.from({ length: d.C }, (_, c) => 0.7 + c);
      assertGradient(trainOp(d), xs);
      assertGradient(evalOp(d, mean, variance), xs);
    }),
    { numRuns: 25 },
  );
});

test('batch statistics are exact when |mean| >> std (no E[x^2] - E[x]^2 cancellation)', () => {
  // float32 values 1000 + small offsets: std 0.5 at mean/std = 2000
  const N = 4, C = 2, P = 64;
  const data = Float32Array.from({ length: N * C * P }, (_, i) => 1000 + ((i * 37) % 11 - 5) * 0.1);
  const x = new Tensor(data, [N, C, 8, 8]);
  const exact = withPrecision('float64', () => batchMoments(new Tensor(Float64Array.from(data), x.shape)));
  for (const backend of ['reference', ...kernelBackends] as const) {
    const { mean, variance } = onBackend(backend, () => batchMoments(x));
    for (let c = 0; c < C; c++) {
      assert.ok(Math.abs(mean[c]! - exact.mean[c]!) < 1e-3, `${backend} mean ${c}: ${mean[c]} vs ${exact.mean[c]}`);
      assert.ok(Math.abs(variance[c]! - exact.variance[c]!) < 1e-3 * exact.variance[c]!, `${backend} variance ${c}: ${variance[c]} vs ${exact.variance[c]}`);
    }
  }
});

test('batchNorm: shape errors name the op', () => {
  const x = seeded([2, 3, 2, 2], 1);
  assert.throws(() => batchNormTrain(seeded([2, 3], 1), null, null), /batchNorm: expects \[N,C,H,W\], got \[2,3\]/);
  assert.throws(() => batchNormTrain(x, seeded([3], 1), null), /batchNorm: weight and bias come together/);
  assert.throws(() => batchNormTrain(x, seeded([2], 1), seeded([2], 1)), /batchNorm: weight and bias need 3 values/);
  assert.throws(() => batchNormEval(x, null, null, [0, 0], [1, 1]), /batchNorm: running statistics need 3 values/);
  assert.throws(() => batchNormTrain(x, null, null, { residual: seeded([2, 3, 2, 1], 1) }), /batchNorm: residual \[2,3,2,1\] does not match input \[2,3,2,2\]/);
});

test.run();
