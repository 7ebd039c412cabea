/** Bilinear (align_corners false/true) and nearest resize of [N,C,H,W] tensors, PyTorch conventions. */
import { apply } from '../lib/core/autograd.js';
import { defineRules } from '../lib/core/primitives.js';
import { assertShape, shapeStr } from '../lib/core/shape.js';
import { Tensor } from '../lib/core/tensor.js';
import { kernelsFor } from './kernel-choice.js';
import { resizeFits, resizeKernels } from './kernels/resize.js';
import { linearTaps, nearestTaps } from './resize-taps.js';
import {
  resizeBilinearBackwardRef, resizeBilinearRef, resizeNearestBackwardRef, resizeNearestRef, type ResizeGeom,
} from './reference/resize.js';

/** Options of resizeBilinear. */
export interface ResizeBilinearOptions {
  /** Map corner pixel centres onto each other (default false, as docs/method.md#label-conventions asks). */
  alignCorners?: boolean;
}

function resizeGeom(op: string, x: readonly number[], size: readonly number[]): ResizeGeom {
  assertShape(x.length === 4, op, `expects input [N,C,H,W], got ${shapeStr(x)}`);
  assertShape(
    size.length === 2 && size.every((d) => Number.isInteger(d) && d > 0) && x[2]! > 0 && x[3]! > 0,
    op,
    `size must be two positive integers and the input non-empty; got size ${JSON.stringify(size)} for input ${shapeStr(x)}`,
  );
  return { planes: x[0]! * x[1]!, H: x[2]!, W: x[3]!, OH: size[0]!, OW: size[1]! };
}

const outShape = (x: Tensor, g: ResizeGeom): number[] => [x.shape[0]!, x.shape[1]!, g.OH, g.OW];

export const resizeRules = defineRules<'resizeBilinear' | 'resizeNearest'>({
  resizeBilinear: {
    forward: ([x], { size, alignCorners }) => {
      const g = resizeGeom('resizeBilinear', x!.shape, size);
      const [ty, tx] = [linearTaps(g.H, g.OH, alignCorners), linearTaps(g.W, g.OW, alignCorners)];
      const k = kernelsFor(resizeFits(g), resizeKernels);
      return { data: k ? k.bilinear(x!.data, g, ty, tx) : resizeBilinearRef(x!.data, g, ty, tx), shape: outShape(x!, g) };
    },
    vjp: (gy, [x], _out, { size, alignCorners }) => {
      const g = resizeGeom('resizeBilinear', x!.shape, size);
      const [ty, tx] = [linearTaps(g.H, g.OH, alignCorners), linearTaps(g.W, g.OW, alignCorners)];
      const k = kernelsFor(resizeFits(g), resizeKernels);
      return [new Tensor(k ? k.bilinearBackward(gy.data, g, ty, tx) : resizeBilinearBackwardRef(gy.data, g, ty, tx), x!.shape)];
    },
  },
  resizeNearest: {
    forward: ([x], { size }) => {
      const g = resizeGeom('resizeNearest', x!.shape, size);
      const [sy, sx] = [nearestTaps(g.H, g.OH), nearestTaps(g.W, g.OW)];
      const k = kernelsFor(resizeFits(g), resizeKernels);
      return { data: k ? k.nearest(x!.data, g, sy, sx) : resizeNearestRef(x!.data, g, sy, sx), shape: outShape(x!, g) };
    },
    vjp: (gy, [x], _out, { size }) => {
      const g = resizeGeom('resizeNearest', x!.shape, size);
      // The scatter is O(output) and rarely on a hot path: reference loops on every backend.
      return [new Tensor(resizeNearestBackwardRef(gy.data, g, nearestTaps(g.H, g.OH), nearestTaps(g.W, g.OW)), x!.shape)];
    },
  },
});

/** Bilinear resize [N,C,H,W] -> [N,C,size[0],size[1]]. */
export function resizeBilinear(x: Tensor, size: [number, number], opts: ResizeBilinearOptions = {}): Tensor {
  resizeGeom('resizeBilinear', x.shape, size);
  return apply(resizeRules.resizeBilinear, [x], { size: [size[0], size[1]], alignCorners: opts.alignCorners ?? false });
}

/** Nearest-neighbour resize (PyTorch 'nearest': source = floor(dst * in / out)). */
export function resizeNearest(x: Tensor, size: [number, number]): Tensor {
  resizeGeom('resizeNearest', x.shape, size);
  return apply(resizeRules.resizeNearest, [x], { size: [size[0], size[1]] });
}
