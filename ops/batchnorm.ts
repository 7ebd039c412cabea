/**
 * Fused batch normalisation (+ residual, +ReLU) of [N,C,H,W] as one primitive:
 *   y = max?(0, (x - mean_c) * invStd_c * w_c + b_c + r)
 * Training uses the batch statistics, and the vjp differentiates through them; eval uses
 * fixed statistics. The statistics travel in the attributes (computed before the op, as
 * PyTorch's native_batch_norm saves them for its backward), so the backward needs no extra
 * pass: two reductions and one elementwise pass over the full-size tensors in all.
 * Gradients, with gz = g masked by y > 0 under ReLU, M = N*H*W, xhat = (x - mean) invStd:
 *   db = sum gz,  dw = sum gz xhat,  dr = gz,
 *   dx = w invStd (gz - mean(gz) - xhat mean(gz xhat))  (training),  w invStd gz  (eval).
 * The residual r lets a ResNet block end in one pass: relu(bn2(conv2(h)) + shortcut).
 */
import { apply } from '../lib/core/autograd.js';
import { defineRules } from '../lib/core/primitives.js';
import { allocate, type DataArray } from '../lib/core/precision.js';
import { assertShape, sameShape, shapeStr } from '../lib/core/shape.js';
import { Tensor } from '../lib/core/tensor.js';
import { kernelsFor } from './kernel-choice.js';
import { batchNormFits, batchNormKernels, gradientsInTurn, type BatchNormKernels } from './kernels/batchnorm.js';
import { batchNormWasm } from './kernels/batchnorm-wasm.js';
import type { GpuMode } from './kernels/gpu.js';
import { bnAffineRef, bnInputGradRef, bnMaskedGradRef, bnPlaneGradSumsRef, bnPlaneMomentsRef } from './reference/batchnorm.js';

/** Per-channel statistics [C]: the mean and 1 / sqrt(variance + eps). */
export interface NormStats {
  mean: DataArray;
  invStd: DataArray;
}

/** The kernels of a backend: on webasm the hand-assembled WebAssembly ones (batchnorm-wasm.ts,
 * bitwise the gpu.js kernels' results, faster), where WebAssembly SIMD exists. */
const kernelsOf = (mode: GpuMode): BatchNormKernels => (mode === 'webasm' ? batchNormWasm() : null) ?? batchNormKernels(mode);

/** Kernel implementations for a tensor of `size` elements on the current backend. */
function impl(size: number): BatchNormKernels {
  return kernelsFor(batchNormFits(size), kernelsOf) ?? reference;
}

const referenceKernels = {
  planeMoments: bnPlaneMomentsRef,
  affine: bnAffineRef,
  maskedGrad: bnMaskedGradRef,
  planeGradSums: bnPlaneGradSumsRef,
  inputGrad: bnInputGradRef,
};
const reference: BatchNormKernels = { ...referenceKernels, gradients: gradientsInTurn(referenceKernels) };

function dims(op: string, x: Tensor): [number, number, number] {
  assertShape(x.ndim === 4, op, `expects [N,C,H,W], got ${shapeStr(x.shape)}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  return [N, C, H * W];
}

/** A per-channel array [C] repeated for each of N images: one value per plane. */
function perPlane(v: ArrayLike<number>, N: number): DataArray {
  const C = v.length;
  const out = allocate(N * C);
  for (let p = 0; p < out.length; p++) out[p] = v[p % C]!;
  return out;
}

/** Add the per-plane pairs [a, b] of every image into per-channel arrays. */
function channelPairs(perPlanePairs: DataArray, N: number, C: number): [DataArray, DataArray] {
  const a = allocate(C);
  const b = allocate(C);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      a[c] += perPlanePairs[2 * (n * C + c)]!;
      b[c] += perPlanePairs[2 * (n * C + c) + 1]!;
    }
  return [a, b];
}

/**
 * Per-channel mean and biased variance of x [N,C,H,W] over N, H and W. Each plane's sum
 * and squared deviations are combined exactly (Chan et al.), so the variance does not
 * cancel when |mean| >> std.
 */
export function batchMoments(x: Tensor): { mean: DataArray; variance: DataArray } {
  const [N, C, P] = dims('batchMoments', x);
  const m = impl(x.size).planeMoments(x.data, N * C, P);
  const mean = allocate(C);
  const variance = allocate(C);
  const count = N * P;
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) s += m[2 * (n * C + c)]!;
    const mu = s / count;
    let m2 = 0;
    for (let n = 0; n < N; n++) {
      const d = m[2 * (n * C + c)]! / P - mu;
      m2 += m[2 * (n * C + c) + 1]! + P * d * d;
    }
    mean[c] = mu;
    variance[c] = count > 0 ? m2 / count : 0;
  }
  return { mean, variance };
}

/** mean and 1 / sqrt(variance + eps) per channel. */
export function normStats(mean: ArrayLike<number>, variance: ArrayLike<number>, eps: number): NormStats {
  const m = allocate(mean.length);
  const invStd = allocate(mean.length);
  for (let c = 0; c < m.length; c++) {
    m[c] = mean[c]!;
    invStd[c] = 1 / Math.sqrt(variance[c]! + eps);
  }
  return { mean: m, invStd };
}

/** Per-channel scale = invStd * w and shift = b - mean * scale. */
function foldAffine(stats: NormStats, w: Tensor | undefined, b: Tensor | undefined): { scale: DataArray; shift: DataArray } {
  const C = stats.mean.length;
  const scale = allocate(C);
  const shift = allocate(C);
  for (let c = 0; c < C; c++) {
    scale[c] = stats.invStd[c]! * (w ? w.data[c]! : 1);
    shift[c] = (b ? b.data[c]! : 0) - stats.mean[c]! * scale[c]!;
  }
  return { scale, shift };
}

/** The op's inputs by role: [x], [x, w, b], [x, r] or [x, w, b, r]. */
function roles(inputs: Tensor[], residual: boolean): { x: Tensor; w?: Tensor; b?: Tensor; r?: Tensor } {
  const r = residual ? inputs[inputs.length - 1] : undefined;
  const affine = inputs.length - (residual ? 1 : 0) === 3;
  return { x: inputs[0]!, ...(affine ? { w: inputs[1], b: inputs[2] } : {}), ...(r ? { r } : {}) };
}

export const batchNormRules = defineRules<'batchNorm'>({
  batchNorm: {
    forward: (inputs, { stats, relu, residual }) => {
      const { x, w, b, r } = roles(inputs, residual);
      const [N, , P] = dims('batchNorm', x);
      const { scale, shift } = foldAffine(stats, w, b);
      return { data: impl(x.size).affine(x.data, P, perPlane(scale, N), perPlane(shift, N), relu, r?.data ?? null), shape: x.shape };
    },
    vjp: (g, inputs, y, { stats, relu, training, residual }) => {
      const { x, w, b, r } = roles(inputs, residual);
      const [N, C, P] = dims('batchNorm', x);
      const M = N * P;
      const { scale } = foldAffine(stats, w, b);
      /** Per-plane k1, k2, k3 of dx = k1 gz + k2 x + k3 from the per-plane gradient sums. */
      const factors = (sums: DataArray): [DataArray, DataArray, DataArray] | null => {
        if (!x.requiresGrad) return null;
        const [sg, sgx] = channelPairs(sums, N, C);
        const [k1, k2, k3] = [allocate(C), allocate(C), allocate(C)];
        for (let c = 0; c < C; c++) {
          k1[c] = scale[c]!;
          if (!training) continue;
          // dx = scale (gz - sg/M) - scale (sgx invStd / M) invStd (x - mean)
          k2[c] = (-scale[c]! * sgx[c]! * stats.invStd[c]! * stats.invStd[c]!) / M;
          k3[c] = (-scale[c]! * sg[c]!) / M - k2[c]! * stats.mean[c]!;
        }
        return [perPlane(k1, N), perPlane(k2, N), perPlane(k3, N)];
      };
      // with a ReLU the residual's gradient is the masked g
      const masked = relu && r?.requiresGrad === true;
      const grads = impl(x.size).gradients(g.data, y.data, x.data, P, perPlane(stats.mean, N), relu, masked, factors);
      const dx = grads.dx === null ? null : new Tensor(grads.dx, x.shape);
      const gr = r?.requiresGrad ? (masked ? grads.gz : g.data) : null;
      const dr = r ? [gr ? new Tensor(gr, r.shape) : null] : [];
      const [sg, sgx] = channelPairs(grads.sums, N, C);
      if (!w) return [dx, ...dr];
      const dw = allocate(C);
      for (let c = 0; c < C; c++) dw[c] = sgx[c]! * stats.invStd[c]!;
      return [dx, new Tensor(dw, w.shape), new Tensor(sg, b!.shape), ...dr];
    },
  },
});

/** Options of the fused op: eps (default 1e-5), a residual added before the ReLU, and a fused ReLU (default false). */
export interface BatchNormOptions {
  eps?: number;
  /** A tensor of x's shape added to the normalised x (before the ReLU). */
  residual?: Tensor;
  relu?: boolean;
}

/** The op's inputs, checked: [x, (weight, bias)?, residual?]. */
function opInputs(x: Tensor, weight: Tensor | null, bias: Tensor | null, residual: Tensor | undefined): Tensor[] {
  dims('batchNorm', x);
  const C = x.shape[1]!;
  assertShape((weight === null) === (bias === null), 'batchNorm', 'weight and bias come together (or neither)');
  if (weight !== null && bias !== null) {
    assertShape(weight.size === C && bias.size === C, 'batchNorm', `weight and bias need ${C} values, got ${shapeStr(weight.shape)} and ${shapeStr(bias.shape)}`);
  }
  if (residual) assertShape(sameShape(residual.shape, x.shape), 'batchNorm', `residual ${shapeStr(residual.shape)} does not match input ${shapeStr(x.shape)}`);
  return [x, ...(weight && bias ? [weight, bias] : []), ...(residual ? [residual] : [])];
}

const attrsOf = (stats: NormStats, opts: BatchNormOptions, training: boolean) => ({ stats, relu: opts.relu ?? false, training, residual: opts.residual !== undefined });

/**
 * Train-mode batch normalisation (+ residual, +ReLU) of x [N,C,H,W] with its batch statistics
 * (gradients flow through them); also returns the per-channel batch mean and biased variance.
 */
export function batchNormTrain(x: Tensor, weight: Tensor | null, bias: Tensor | null, opts: BatchNormOptions = {}): { y: Tensor; mean: DataArray; variance: DataArray } {
  const inputs = opInputs(x, weight, bias, opts.residual);
  const { mean, variance } = batchMoments(x);
  const stats = normStats(mean, variance, opts.eps ?? 1e-5);
  return { y: apply(batchNormRules.batchNorm, inputs, attrsOf(stats, opts, true)), mean, variance };
}

/** Eval-mode batch normalisation (+ residual, +ReLU) of x [N,C,H,W] with fixed per-channel mean and variance [C]. */
export function batchNormEval(x: Tensor, weight: Tensor | null, bias: Tensor | null, mean: ArrayLike<number>, variance: ArrayLike<number>, opts: BatchNormOptions = {}): Tensor {
  const inputs = opInputs(x, weight, bias, opts.residual);
  assertShape(mean.length === x.shape[1] && variance.length === x.shape[1], 'batchNorm', `running statistics need ${x.shape[1]} values, got ${mean.length} and ${variance.length}`);
  return apply(batchNormRules.batchNorm, inputs, attrsOf(normStats(mean, variance, opts.eps ?? 1e-5), opts, false));
}
