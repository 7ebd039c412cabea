/**
 * Plain TypeScript BatchNorm(+ReLU) kernels. Layout: x is [N,C,H,W] seen as N*C planes of
 * `plane` = H*W values. Factors come one per plane (the host, ops/batchnorm.ts, folds the
 * statistics and affine terms per channel and repeats them for each image).
 */
import { allocate, type DataArray } from '../../lib/core/precision.js';

/** Per plane: [sum, sum of squared deviations from the plane's own mean] (2 values a plane). */
export function bnPlaneMomentsRef(x: DataArray, planes: number, plane: number): DataArray {
  const out = allocate(2 * planes);
  for (let p = 0; p < planes; p++) {
    let s = 0;
    for (let q = p * plane; q < (p + 1) * plane; q++) s += x[q]!;
    const m = s / plane;
    let m2 = 0;
    for (let q = p * plane; q < (p + 1) * plane; q++) m2 += (x[q]! - m) * (x[q]! - m);
    out[2 * p] = s;
    out[2 * p + 1] = m2;
  }
  return out;
}

/** y = x * scale[p] + shift[p] in plane p (+ residual), then max(y, 0) when relu. */
export function bnAffineRef(x: DataArray, plane: number, scale: DataArray, shift: DataArray, relu: boolean, residual: DataArray | null = null): DataArray {
  const y = allocate(x.length);
  for (let p = 0; p < scale.length; p++) {
    const a = scale[p]!;
    const b = shift[p]!;
    for (let i = p * plane; i < (p + 1) * plane; i++) {
      const v = x[i]! * a + b + (residual === null ? 0 : residual[i]!);
      y[i] = relu && !(v > 0) ? 0 : v;
    }
  }
  return y;
}

/** g where the ReLU output y is positive, else 0 (relu's own gradient rule). */
export function bnMaskedGradRef(g: DataArray, y: DataArray): DataArray {
  const out = allocate(g.length);
  for (let i = 0; i < g.length; i++) out[i] = y[i]! > 0 ? g[i]! : 0;
  return out;
}

/**
 * Per plane p: [sum gz, sum gz * (x - mean[p])], where gz = g, or 0 where the ReLU output y
 * is not positive (the ReLU's gradient, as relu's own rule: 0 at 0).
 */
export function bnPlaneGradSumsRef(g: DataArray, y: DataArray, x: DataArray, plane: number, mean: DataArray, relu: boolean): DataArray {
  const planes = x.length / plane;
  const out = allocate(2 * planes);
  for (let p = 0; p < planes; p++) {
    const m = mean[p]!;
    let sg = 0;
    let sgx = 0;
    for (let q = p * plane; q < (p + 1) * plane; q++) {
      const gz = relu && !(y[q]! > 0) ? 0 : g[q]!;
      sg += gz;
      sgx += gz * (x[q]! - m);
    }
    out[2 * p] = sg;
    out[2 * p + 1] = sgx;
  }
  return out;
}

/** dx = k1[p] * gz + k2[p] * x + k3[p] in plane p (gz as in bnPlaneGradSumsRef). */
export function bnInputGradRef(g: DataArray, y: DataArray, x: DataArray, plane: number, k1: DataArray, k2: DataArray, k3: DataArray, relu: boolean): DataArray {
  const dx = allocate(x.length);
  for (let p = 0; p < k1.length; p++) {
    const [a, b, c] = [k1[p]!, k2[p]!, k3[p]!];
    for (let i = p * plane; i < (p + 1) * plane; i++) {
      const gz = relu && !(y[i]! > 0) ? 0 : g[i]!;
      dx[i] = a * gz + b * x[i]! + c;
    }
  }
  return dx;
}
