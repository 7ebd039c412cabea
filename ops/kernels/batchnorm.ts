/**
 * gpu.js BatchNorm(+ReLU) kernels, the same steps as ops/reference/batchnorm.ts:
 * per-plane moments, the per-channel affine map (+ residual, +ReLU), per-plane gradient
 * sums, the input gradient and the ReLU-masked gradient (the residual's). Per-channel factors arrive expanded to one value per plane (N*C values,
 * computed on the host), so no kernel needs a modulo. The elementwise kernels put
 * thread.x along a plane's contiguous pixels: the SIMD lanes read neighbouring values.
 */
import type { DataArray } from '../../lib/core/precision.js';
import type { GpuMode } from './gpu.js';
import { F32_EXACT, f32, type Program } from './program.js';
import { runSync } from './run.js';

export interface BatchNormKernels {
  planeMoments(x: DataArray, planes: number, plane: number): DataArray;
  affine(x: DataArray, plane: number, scale: DataArray, shift: DataArray, relu: boolean, residual?: DataArray | null): DataArray;
  maskedGrad(g: DataArray, y: DataArray, plane: number): DataArray;
  planeGradSums(g: DataArray, y: DataArray, x: DataArray, plane: number, mean: DataArray, relu: boolean): DataArray;
  inputGrad(g: DataArray, y: DataArray, x: DataArray, plane: number, k1: DataArray, k2: DataArray, k3: DataArray, relu: boolean): DataArray;
  /**
   * The vjp's passes over g, y and x: the per-plane gradient sums (planeGradSums); then the
   * input gradient (inputGrad) with the per-plane factors that `factors` makes from those
   * sums, unless it returns null; and, when `masked`, the ReLU-masked gradient (maskedGrad).
   * One call, so an implementation may keep g, y and x loaded across the passes.
   */
  gradients(g: DataArray, y: DataArray, x: DataArray, plane: number, mean: DataArray, relu: boolean, masked: boolean, factors: GradFactors): BnGradients;
}

/** The input gradient's per-plane factors [k1, k2, k3] from the per-plane gradient sums, or null for no input gradient. */
export type GradFactors = (sums: DataArray) => [DataArray, DataArray, DataArray] | null;

export interface BnGradients {
  sums: DataArray;
  dx: DataArray | null;
  gz: DataArray | null;
}

/** `gradients` as its kernels one after another (the gpu.js kernels, the references). */
export function gradientsInTurn(k: Omit<BatchNormKernels, 'gradients'>): BatchNormKernels['gradients'] {
  return (g, y, x, plane, mean, relu, masked, factors) => {
    const sums = k.planeGradSums(g, y, x, plane, mean, relu);
    const f = factors(sums);
    return { sums, dx: f === null ? null : k.inputGrad(g, y, x, plane, ...f, relu), gz: masked ? k.maskedGrad(g, y, plane) : null };
  };
}

/** Keep the two used values of each 4-component result: [a0, b0, a1, b1, ...]. */
export function pairs(r: Float32Array, planes: number): Float32Array {
  const out = new Float32Array(2 * planes);
  for (let p = 0; p < planes; p++) {
    out[2 * p] = r[4 * p]!;
    out[2 * p + 1] = r[4 * p + 1]!;
  }
  return out;
}

/** Threads per plane in the reductions when the plane splits into 4 interleaved parts. */
const quarters = (plane: number): boolean => plane % 4 === 0;

/**
 * Per plane, from 4 interleaved partials (thread.x = j sums elements j, j+4, ...) of
 * [sum, squared deviations from the partial's own mean]: the plane's sum and squared
 * deviations from the plane mean (Chan et al.'s exact combination), in double.
 */
export function combineQuarters(r: Float32Array, planes: number, plane: number): Float32Array {
  const out = new Float32Array(2 * planes);
  const n = plane / 4;
  for (let p = 0; p < planes; p++) {
    let s = 0;
    for (let j = 0; j < 4; j++) s += r[(4 * p + j) * 4]!;
    const mean = s / plane;
    let m2 = 0;
    for (let j = 0; j < 4; j++) {
      const d = r[(4 * p + j) * 4]! / n - mean;
      m2 += r[(4 * p + j) * 4 + 1]! + n * d * d;
    }
    out[2 * p] = s;
    out[2 * p + 1] = m2;
  }
  return out;
}

/** Per plane, the sums of the 4 interleaved partials' [a, b] (double, then float32). */
export function sumQuarters(r: Float32Array, planes: number): Float32Array {
  const out = new Float32Array(2 * planes);
  for (let p = 0; p < planes; p++) {
    let a = 0;
    let b = 0;
    for (let j = 0; j < 4; j++) {
      a += r[(4 * p + j) * 4]!;
      b += r[(4 * p + j) * 4 + 1]!;
    }
    out[2 * p] = a;
    out[2 * p + 1] = b;
  }
  return out;
}

/** Element i of partial thread.x in plane thread.y: a row base + thread.x (one wide load
 * for the 4 lanes, wasm-codegen/wide-loads.ts). */
const quarterIndex = (plane: number): string => `this.thread.y * ${plane} + (i | 0) * 4 + this.thread.x`;

export function* planeMomentsProgram(x: DataArray, planes: number, plane: number): Program<Float32Array> {
  // Two passes over a plane (it stays in cache): the deviations from the plane's own mean
  // keep the variance exact where E[x^2] - E[x]^2 would cancel.
  if (quarters(plane)) {
    // lanes = 4 interleaved parts of one plane (contiguous reads), combined on the host
    const q = quarterIndex(plane);
    const source = `function (x) {
  let s = 0.0;
  for (let i = 0; i < ${plane / 4}; i++) s += x[${q}];
  const m = s / ${plane / 4};
  let m2 = 0.0;
  for (let i = 0; i < ${plane / 4}; i++) {
    const d = x[${q}] - m;
    m2 += d * d;
  }
  return [s, m2, 0, 0];
}`;
    return combineQuarters(yield { source, output: [4, planes], args: [f32(x)], components: 4, cost: 2 * planes * plane, transient: true }, planes, plane);
  }
  const source = `function (x) {
  let s = 0.0;
  for (let i = 0; i < ${plane}; i++) s += x[this.thread.x * ${plane} + (i | 0)];
  const m = s / ${plane};
  let m2 = 0.0;
  for (let i = 0; i < ${plane}; i++) {
    const d = x[this.thread.x * ${plane} + (i | 0)] - m;
    m2 += d * d;
  }
  return [s, m2, 0, 0];
}`;
  return pairs(yield { source, output: [planes], args: [f32(x)], components: 4, cost: 2 * planes * plane, transient: true }, planes);
}

export function* affineProgram(x: DataArray, plane: number, scale: DataArray, shift: DataArray, relu: boolean, residual: DataArray | null = null): Program<Float32Array> {
  const planes = x.length / plane;
  const q = `this.thread.y * ${plane} + this.thread.x`;
  const source = `function (x, scale, shift${residual ? ', r' : ''}) {
  const v = x[${q}] * scale[this.thread.y] + shift[this.thread.y]${residual ? ` + r[${q}]` : ''};
  ${relu ? 'if (v > 0) return v;\n  return 0;' : 'return v;'}
}`;
  const args = [x, scale, shift, ...(residual ? [residual] : [])].map(f32);
  return yield { source, output: [plane, planes], args, components: 1, cost: x.length };
}

export function* maskedGradProgram(g: DataArray, y: DataArray, plane: number): Program<Float32Array> {
  const source = `function (g, y) {
  const q = this.thread.y * ${plane} + this.thread.x;
  if (y[q] > 0) return g[q];
  return 0;
}`;
  return yield { source, output: [plane, g.length / plane], args: [f32(g), f32(y)], components: 1, cost: g.length };
}

/** The ReLU-masked output gradient of element q (a statement defining gz). */
const maskedGrad = (relu: boolean, q: string): string =>
  relu ? `let gz = 0.0;\n  if (y[${q}] > 0) gz = g[${q}];` : `const gz = g[${q}];`;

export function* planeGradSumsProgram(g: DataArray, y: DataArray, x: DataArray, plane: number, mean: DataArray, relu: boolean): Program<Float32Array> {
  const planes = x.length / plane;
  const args = [f32(g), f32(y), f32(x), f32(mean)];
  const cost = 2 * x.length;
  if (quarters(plane)) {
    // lanes = 4 interleaved parts of one plane (contiguous reads), added on the host
    const q = quarterIndex(plane);
    const source = `function (g, y, x, mean) {
  let sg = 0.0;
  let sgx = 0.0;
  const m = mean[this.thread.y];
  for (let i = 0; i < ${plane / 4}; i++) {
    ${maskedGrad(relu, q)}
    sg += gz;
    sgx += gz * (x[${q}] - m);
  }
  return [sg, sgx, 0, 0];
}`;
    return sumQuarters(yield { source, output: [4, planes], args, components: 4, cost, transient: true }, planes);
  }
  const source = `function (g, y, x, mean) {
  let sg = 0.0;
  let sgx = 0.0;
  const m = mean[this.thread.x];
  for (let i = 0; i < ${plane}; i++) {
    const q = this.thread.x * ${plane} + (i | 0);
    ${maskedGrad(relu, 'q')}
    sg += gz;
    sgx += gz * (x[q] - m);
  }
  return [sg, sgx, 0, 0];
}`;
  return pairs(yield { source, output: [planes], args, components: 4, cost, transient: true }, planes);
}

export function* inputGradProgram(g: DataArray, y: DataArray, x: DataArray, plane: number, k1: DataArray, k2: DataArray, k3: DataArray, relu: boolean): Program<Float32Array> {
  const planes = x.length / plane;
  const source = `function (g, y, x, k1, k2, k3) {
  const q = this.thread.y * ${plane} + this.thread.x;
  ${maskedGrad(relu, 'q')}
  return k1[this.thread.y] * gz + k2[this.thread.y] * x[q] + k3[this.thread.y];
}`;
  const args = [g, y, x, k1, k2, k3].map(f32);
  return yield { source, output: [plane, planes], args, components: 1, cost: 2 * x.length };
}

/** Whether every index of x fits a float32 kernel local exactly. */
export const batchNormFits = (size: number): boolean => size < F32_EXACT / 2;

export function batchNormKernels(mode: GpuMode): BatchNormKernels {
  const k: Omit<BatchNormKernels, 'gradients'> = {
    planeMoments: (x, planes, plane) => runSync(mode, planeMomentsProgram(x, planes, plane)),
    affine: (x, plane, scale, shift, relu, residual) => runSync(mode, affineProgram(x, plane, scale, shift, relu, residual)),
    maskedGrad: (g, y, plane) => runSync(mode, maskedGradProgram(g, y, plane)),
    planeGradSums: (g, y, x, plane, mean, relu) => runSync(mode, planeGradSumsProgram(g, y, x, plane, mean, relu)),
    inputGrad: (g, y, x, plane, k1, k2, k3, relu) => runSync(mode, inputGradProgram(g, y, x, plane, k1, k2, k3, relu)),
  };
  return { ...k, gradients: gradientsInTurn(k) };
}
