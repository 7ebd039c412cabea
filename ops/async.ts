/**
 * Asynchronous kernel entry points: the same programs as the engine ops, driven with
 * Promise-returning gpu.js kernels. They serve the backends that cannot run synchronously
 * (webgpu) and threaded webasm (gpu.js splits an async webasm launch over a worker pool).
 * They compute forward values and raw gradients only; nothing is recorded for autograd.
 */
import { getBackend, type KernelBackend } from '../lib/core/backend.js';
import { UserError } from '../lib/core/errors.js';
import { Tensor } from '../lib/core/tensor.js';
import { convGeom, type Conv2dOptions } from './conv-geom.js';
import { conv2dBackwardInputProgram, conv2dBackwardWeightProgram, conv2dForwardProgram } from './kernels/conv.js';
import type { GpuMode } from './kernels/gpu.js';
import { affinityProgramChunked, propagateProgramChunked } from './kernels/pamr.js';
import { gapProgram } from './kernels/pool.js';
import { runAsync } from './kernels/run.js';
import { DEFAULT_DILATIONS, DEFAULT_ITERATIONS, checkPamrShapes, pamrOffsets, type PamrOptions } from './pamr-geom.js';

/**
 * Promise-returning conv2d (and its two gradients), GAP and PAMR on one gpu.js backend;
 * same shapes and values as the engine ops, no autograd.
 */
export interface AsyncKernels {
  backend: GpuMode;
  conv2d(x: Tensor, w: Tensor, b: Tensor | null, opts?: Conv2dOptions): Promise<Tensor>;
  /** dL/dx of conv2d given dL/dy. */
  conv2dBackwardInput(gy: Tensor, w: Tensor, xShape: readonly number[], opts?: Conv2dOptions): Promise<Tensor>;
  /** dL/dw of conv2d given dL/dy. */
  conv2dBackwardWeight(gy: Tensor, x: Tensor, wShape: readonly number[], opts?: Conv2dOptions): Promise<Tensor>;
  gap(x: Tensor): Promise<Tensor>;
  pamr(image: Tensor, mask: Tensor, opts?: PamrOptions): Promise<Tensor>;
}

/** Async kernels on a gpu.js backend (default: the current backend's async backend). */
export function asyncKernels(backend: KernelBackend = getBackend().asyncBackend): AsyncKernels {
  if (backend === 'reference') throw new UserError('asyncKernels: the reference backend has no gpu.js kernels');
  const mode = backend;
  return {
    backend: mode,
    async conv2d(x, w, b, opts = {}) {
      const g = convGeom(x.shape, w.shape, b ? b.shape : null, opts);
      return new Tensor(await runAsync(mode, conv2dForwardProgram(x.data, w.data, b?.data ?? null, g)), [g.N, g.K, g.OH, g.OW]);
    },
    async conv2dBackwardInput(gy, w, xShape, opts = {}) {
      const g = convGeom(xShape, w.shape, null, opts);
      return new Tensor(await runAsync(mode, conv2dBackwardInputProgram(gy.data, w.data, g)), xShape);
    },
    async conv2dBackwardWeight(gy, x, wShape, opts = {}) {
      const g = convGeom(x.shape, wShape, null, opts);
      return new Tensor(await runAsync(mode, conv2dBackwardWeightProgram(gy.data, x.data, g)), wShape);
    },
    async gap(x) {
      const [N, C, H, W] = x.shape as [number, number, number, number];
      return new Tensor(await runAsync(mode, gapProgram(x.data, N * C, H * W)), [N, C]);
    },
    async pamr(image, mask, opts = {}) {
      checkPamrShapes(image.shape, mask.shape);
      const dilations = opts.dilations ?? DEFAULT_DILATIONS;
      const [N, K, H, W] = image.shape as [number, number, number, number];
      const g = { N, K, H, W, ...pamrOffsets(dilations), D: dilations.length };
      const alpha = await runAsync(mode, affinityProgramChunked(image.data, g));
      const C = mask.shape[1]!;
      return new Tensor(await runAsync(mode, propagateProgramChunked(mask.data, alpha, C, opts.iterations ?? DEFAULT_ITERATIONS, g)), mask.shape);
    },
  };
}
