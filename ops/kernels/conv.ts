/** gpu.js conv2d kernels (forward, backward-input, backward-weight); null = use the reference. */
import type { KernelBackend } from '../../lib/backend.js';
import type { DataArray } from '../../lib/precision.js';
import type { ConvGeom } from '../conv-geom.js';

export interface ConvKernels {
  forward(x: DataArray, w: DataArray, b: DataArray | null, g: ConvGeom): DataArray;
  backwardInput(gy: DataArray, w: DataArray, g: ConvGeom): DataArray;
  backwardWeight(gy: DataArray, x: DataArray, g: ConvGeom): DataArray;
}

export function convKernels(_backend: KernelBackend): ConvKernels | null {
  return null;
}
