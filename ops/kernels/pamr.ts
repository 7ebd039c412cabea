/** gpu.js PAMR kernels; null = use the reference. */
import type { KernelBackend } from '../../lib/backend.js';
import type { DataArray } from '../../lib/precision.js';
import type { PamrGeom } from '../reference/pamr.js';

export interface PamrKernels {
  affinity(image: DataArray, g: PamrGeom): DataArray;
  /** T propagation steps of a C-channel mask. */
  propagate(mask: DataArray, alpha: DataArray, C: number, iterations: number, g: PamrGeom): DataArray;
}

export function pamrKernels(_backend: KernelBackend): PamrKernels | null {
  return null;
}
