/** gpu.js resize kernels; null = use the reference. */
import type { KernelBackend } from '../../lib/backend.js';
import type { DataArray } from '../../lib/precision.js';
import type { ResizeGeom } from '../reference/resize.js';
import type { LinearTaps } from '../resize-taps.js';

export interface ResizeKernels {
  bilinear(x: DataArray, g: ResizeGeom, ty: LinearTaps, tx: LinearTaps): DataArray;
  bilinearBackward(gy: DataArray, g: ResizeGeom, ty: LinearTaps, tx: LinearTaps): DataArray;
  nearest(x: DataArray, g: ResizeGeom, sy: Int32Array, sx: Int32Array): DataArray;
}

export function resizeKernels(_backend: KernelBackend): ResizeKernels | null {
  return null;
}
