/** Max-pool geometry: option checks and output size, shared by the reference and kernels. */
import { assertShape, shapeStr } from '../lib/core/shape.js';
import { outSize } from './conv-geom.js';

export interface MaxPool2dOptions {
  kernel: number;
  /** Defaults to the kernel size. */
  stride?: number;
  padding?: number;
}

/** planes = N*C independent [H,W] planes pooled to [OH,OW] with window k, stride s, padding p. */
export interface PoolGeom {
  planes: number; H: number; W: number; k: number; s: number; p: number; OH: number; OW: number;
}

export function poolGeom(x: readonly number[], opts: MaxPool2dOptions): PoolGeom {
  assertShape(x.length === 4, 'maxPool2d', `expects input [N,C,H,W], got ${shapeStr(x)}`);
  const k = opts.kernel;
  const s = opts.stride ?? k;
  const p = opts.padding ?? 0;
  assertShape([k, s].every((v) => Number.isInteger(v) && v >= 1) && Number.isInteger(p), 'maxPool2d', `kernel and stride must be integers >= 1, got kernel ${k}, stride ${s}`);
  // Every window must hold a real pixel (PyTorch's rule), so padding is at most half the window.
  assertShape(p >= 0 && 2 * p <= k, 'maxPool2d', `padding ${p} must be in [0, kernel/2] for kernel ${k}`);
  const [N, C, H, W] = x as [number, number, number, number];
  const OH = outSize(H, k, s, p, 1);
  const OW = outSize(W, k, s, p, 1);
  assertShape(OH > 0 && OW > 0, 'maxPool2d', `input ${shapeStr(x)} is smaller than kernel ${k} with padding ${p}`);
  return { planes: N * C, H, W, k, s, p, OH, OW };
}
