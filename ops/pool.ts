/** Global average pooling and 2-d max pooling, as primitives with kernel-backed gradients. */
import { apply } from '../lib/core/autograd.js';
import { defineRules } from '../lib/core/primitives.js';
import { assertShape, shapeStr } from '../lib/core/shape.js';
import { Tensor } from '../lib/core/tensor.js';
import { kernelsFor } from './kernel-choice.js';
import { F32_EXACT } from './kernels/program.js';
import { poolGeom, type MaxPool2dOptions } from './pool-geom.js';
import { poolFits, poolKernels } from './kernels/pool.js';
import { gapBackwardRef, gapRef, maxPool2dBackwardRef, maxPool2dRef } from './reference/pool.js';

export type { MaxPool2dOptions } from './pool-geom.js';

const gapFits = (x: Tensor): boolean => x.size < F32_EXACT / 2;

export const poolRules = defineRules<'gap' | 'maxPool2d'>({
  gap: {
    forward: ([x]) => {
      const [N, C, H, W] = x!.shape as [number, number, number, number];
      const k = kernelsFor(gapFits(x!), poolKernels);
      return { data: k ? k.gap(x!.data, N * C, H * W) : gapRef(x!.data, N * C, H * W), shape: [N, C] };
    },
    vjp: (g, [x]) => {
      const [N, C, H, W] = x!.shape as [number, number, number, number];
      const k = kernelsFor(gapFits(x!), poolKernels);
      const gx = k ? k.gapBackward(g.data, N * C, H * W) : gapBackwardRef(g.data, N * C, H * W);
      return [new Tensor(gx, x!.shape)];
    },
  },
  maxPool2d: {
    forward: ([x], attrs) => {
      const g = poolGeom(x!.shape, attrs);
      const k = kernelsFor(poolFits(g), poolKernels);
      return { data: k ? k.maxPool(x!.data, g) : maxPool2dRef(x!.data, g), shape: [x!.shape[0]!, x!.shape[1]!, g.OH, g.OW] };
    },
    vjp: (gy, [x], _out, attrs) => {
      const g = poolGeom(x!.shape, attrs);
      const k = kernelsFor(poolFits(g), poolKernels);
      return [new Tensor(k ? k.maxPoolBackward(gy.data, x!.data, g) : maxPool2dBackwardRef(gy.data, x!.data, g), x!.shape)];
    },
  },
});

/** Global average pooling: mean over H and W, [N,C,H,W] -> [N,C]. */
export function gap(x: Tensor): Tensor {
  assertShape(x.ndim === 4 && x.shape[2]! * x.shape[3]! > 0, 'gap', `expects a non-empty [N,C,H,W] input, got ${shapeStr(x.shape)}`);
  return apply(poolRules.gap, [x], {});
}

/** Max pooling over k x k windows (stride defaults to k; padding counts as -Infinity). */
export function maxPool2d(x: Tensor, opts: MaxPool2dOptions): Tensor {
  const g = poolGeom(x.shape, opts);
  return apply(poolRules.maxPool2d, [x], { kernel: g.k, stride: g.s, padding: g.p });
}
