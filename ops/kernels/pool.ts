/** gpu.js GAP and max-pool kernels; null = use the reference. */
import type { KernelBackend } from '../../lib/backend.js';
import type { DataArray } from '../../lib/precision.js';
import type { PoolGeom } from '../pool-geom.js';

export interface PoolKernels {
  gap(x: DataArray, planes: number, plane: number): DataArray;
  gapBackward(g: DataArray, planes: number, plane: number): DataArray;
  maxPool(x: DataArray, g: PoolGeom): DataArray;
  maxPoolBackward(gy: DataArray, x: DataArray, g: PoolGeom): DataArray;
}

export function poolKernels(_backend: KernelBackend): PoolKernels | null {
  return null;
}
