/** Fused BatchNorm(+ residual, +ReLU): every backend agrees with the reference, gradients match finite differences, statistics are exact. */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, Tensor, withPrecision } from '../../lib/index.js';
import { batchMoments, batchNormEval, batchNormTrain } from '../../ops/batchnorm.js';
import { batchNormKernels, type BatchNormKernels } from '../../ops/kernels/batchnorm.js';
import { batchNormWasm } from '../../ops/kernels/batchnorm-wasm.js';
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

/** [relu, masked, with an input gradient]: every way `gradients` is asked. */
const gradientCases = [false, true].flatMap((relu) => [false, true].flatMap((masked) => [false, true].map((dx) => [relu, masked, dx] as const)));

/** Every kernel of `k` against the references, on planes of odd sizes and multiples of 4. */
function kernelsAgree(k: BatchNormKernels, what: string): void {
  for (const [planes, plane] of [[1, 1], [3, 7], [6, 33], [4, 130], [2, 4], [5, 64], [3, 1024]] as const) {
    const x = seeded([planes * plane], planes + plane).data;
    const g = seeded([planes * plane], 5 + plane).data;
    const [s, t, u] = [1, 2, 3].map((i) => seeded([planes], i * plane).data);
    const at = `${what} ${planes}x${plane}`;
    assertClose(k.planeMoments(x, planes, plane), bnPlaneMomentsRef(x, planes, plane), `moments ${at}`);
    for (const relu of [false, true]) {
      const y = bnAffineRef(x, plane, s!, t!, relu);
      assertClose(k.affine(x, plane, s!, t!, relu), y, `affine ${at} relu ${relu}`);
      assertClose(k.affine(x, plane, s!, t!, relu, g), bnAffineRef(x, plane, s!, t!, relu, g), `affine + residual ${at} relu ${relu}`);
      assertClose(k.maskedGrad(g, y, plane), bnMaskedGradRef(g, y), `masked grad ${at}`);
      assertClose(k.planeGradSums(g, y, x, plane, t!, relu), bnPlaneGradSumsRef(g, y, x, plane, t!, relu), `grad sums ${at}`);
      assertClose(k.inputGrad(g, y, x, plane, s!, t!, u!, relu), bnInputGradRef(g, y, x, plane, s!, t!, u!, relu), `input grad ${at}`);
    }
    for (const [relu, masked, withDx] of gradientCases) {
      const y = bnAffineRef(x, plane, s!, t!, relu, g);
      const got = k.gradients(g, y, x, plane, t!, relu, masked, () => (withDx ? [s!, t!, u!] : null));
      const how = `${at} relu ${relu} masked ${masked} dx ${withDx}`;
      assertClose(got.sums, bnPlaneGradSumsRef(g, y, x, plane, t!, relu), `gradients: sums ${how}`);
      if (withDx) assertClose(got.dx!, bnInputGradRef(g, y, x, plane, s!, t!, u!, relu), `gradients: input ${how}`);
      else assert.is(got.dx, null, `gradients: no input ${how}`);
      if (masked) assertClose(got.gz!, bnMaskedGradRef(g, y), `gradients: masked ${how}`);
      else assert.is(got.gz, null, `gradients: no masked ${how}`);
    }
  }
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
    kernelsAgree(batchNormKernels(backend), backend);
  });
}

const wasm = batchNormWasm();

test('the WebAssembly batchNorm kernels agree with the references', () => {
  assert.ok(wasm !== null, 'WebAssembly SIMD is available on Node 20');
  kernelsAgree(wasm!, 'wasm');
});

/** Equal bits, or both NaN (a NaN's payload is not part of the contract). */
function assertSameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.is(a.length, b.length, `${what}: length`);
  const [fa, fb] = [Float32Array.from(a), Float32Array.from(b)];
  const [ua, ub] = [new Uint32Array(fa.buffer), new Uint32Array(fb.buffer)];
  for (let i = 0; i < ua.length; i++)
    if (ua[i] !== ub[i] && !(Number.isNaN(fa[i]) && Number.isNaN(fb[i]))) assert.unreachable(`${what} at ${i}: ${fa[i]} vs ${fb[i]}`);
}

test('the WebAssembly batchNorm kernels give bitwise the gpu.js webasm kernels\' results (with zeros, -0, NaN and infinities)', () => {
  if (!kernelBackends.includes('webasm')) return;
  const gpu = batchNormKernels('webasm');
  const rng = new Rng(7);
  const special = [0, -0, NaN, Infinity, -Infinity];
  const values = (n: number, lo: number, hi: number): Float32Array =>
    Float32Array.from({ length: n }, () => (rng.uniform(0, 1) < 0.03 ? special[Math.floor(rng.uniform(0, special.length))]! : rng.uniform(lo, hi)));
  // odd sizes, multiples of 4, and the classifier's training shapes (8x16x32x32, 8x32x16x16)
  for (const [planes, plane] of [[1, 1], [3, 7], [2, 6], [6, 33], [4, 130], [2, 4], [16, 12], [5, 64], [128, 1024], [256, 256]] as const) {
    const n = planes * plane;
    const [x, g, r] = [values(n, -3, 5), values(n, -2, 2), values(n, -2, 2)];
    const [s, t, u] = [values(planes, 0.5, 2), values(planes, -1, 1), values(planes, -1, 1)];
    const at = `${planes}x${plane}`;
    assertSameBits(wasm!.planeMoments(x, planes, plane), gpu.planeMoments(x, planes, plane), `moments ${at}`);
    for (const relu of [false, true]) {
      const y = gpu.affine(x, plane, s, t, relu, r);
      assertSameBits(wasm!.affine(x, plane, s, t, relu), gpu.affine(x, plane, s, t, relu), `affine ${at} relu ${relu}`);
      assertSameBits(wasm!.affine(x, plane, s, t, relu, r), y, `affine + residual ${at} relu ${relu}`);
      assertSameBits(wasm!.maskedGrad(g, y, plane), gpu.maskedGrad(g, y, plane), `masked grad ${at}`);
      assertSameBits(wasm!.planeGradSums(g, y, x, plane, t, relu), gpu.planeGradSums(g, y, x, plane, t, relu), `grad sums ${at} relu ${relu}`);
      assertSameBits(wasm!.inputGrad(g, y, x, plane, s, t, u, relu), gpu.inputGrad(g, y, x, plane, s, t, u, relu), `input grad ${at} relu ${relu}`);
    }
    for (const [relu, masked, withDx] of gradientCases) {
      const y = gpu.affine(x, plane, s, t, relu, r);
      const factors = (): [Float32Array, Float32Array, Float32Array] | null => (withDx ? [s, t, u] : null);
      const [a, b] = [wasm!.gradients(g, y, x, plane, t, relu, masked, factors), gpu.gradients(g, y, x, plane, t, relu, masked, factors)];
      const how = `${at} relu ${relu} masked ${masked} dx ${withDx}`;
      assertSameBits(a.sums, b.sums, `gradients: sums ${how}`);
      assert.is(a.dx === null, b.dx === null, `gradients: input ${how}`);
      if (a.dx && b.dx) assertSameBits(a.dx, b.dx, `gradients: input ${how}`);
      assert.is(a.gz === null, b.gz === null, `gradients: masked ${how}`);
      if (a.gz && b.gz) assertSameBits(a.gz, b.gz, `gradients: masked ${how}`);
    }
  }
});

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
