/**
 * Which path a kernel-backed op takes (docs/architecture.md#adding-a-gpujs-kernel): the
 * gpu.js kernels of the current backend, or the plain TypeScript reference, on the reference
 * backend, in float64 mode, or when the sizes do not fit the kernels' float32 indices.
 */
import { opBackend } from '../lib/core/backend.js';
import type { GpuMode } from './kernels/gpu.js';

/** The family's kernels for the current backend (`kernels(mode)`), or null for its reference loops. */
export function kernelsFor<K>(fits: boolean, kernels: (mode: GpuMode) => K): K | null {
  const be = opBackend();
  return be === 'reference' || !fits ? null : kernels(be);
}
