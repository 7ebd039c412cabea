/**
 * PAMR (pixel-adaptive mask refinement), docs/method.md#pamr. Not differentiable: the
 * result is always a detached tensor, and nothing is recorded for autograd.
 */
import { allocate, type DataArray } from '../lib/core/precision.js';
import { assertShape, shapeStr } from '../lib/core/shape.js';
import { Tensor } from '../lib/core/tensor.js';
import { kernelsFor } from './kernel-choice.js';
import { pamrFits, pamrKernels } from './kernels/pamr.js';
import {
  DEFAULT_DILATIONS, DEFAULT_ITERATIONS, checkDilations, checkPamrShapes, pamrOffsets, type PamrOptions,
} from './pamr-geom.js';
import { pamrAffinityRef, pamrStepRef, type PamrGeom } from './reference/pamr.js';

export type { PamrOptions } from './pamr-geom.js';

function geomOf(image: Tensor, dilations: readonly number[]): PamrGeom {
  const [N, K, H, W] = image.shape as [number, number, number, number];
  return { N, K, H, W, ...pamrOffsets(dilations), D: dilations.length };
}

function affinity(image: Tensor, g: PamrGeom): DataArray {
  const k = kernelsFor(pamrFits(g, 1), pamrKernels);
  return k ? k.affinity(image.data, g) : pamrAffinityRef(image.data, g);
}

/** The affinities alpha [N, 8|D|, H, W] (softmax over neighbours), for inspection and tests. */
export function pamrAffinity(image: Tensor, dilations: readonly number[] = DEFAULT_DILATIONS): Tensor {
  assertShape(image.ndim === 4, 'pamrAffinity', `expects image [N,K,H,W], got ${shapeStr(image.shape)}`);
  checkDilations('pamrAffinity', dilations);
  const g = geomOf(image, dilations);
  return new Tensor(affinity(image, g), [g.N, g.dy.length, g.H, g.W]);
}

/** Refine mask [N,C,H,W] with T steps of image-adaptive neighbour averaging. */
export function pamr(image: Tensor, mask: Tensor, opts: PamrOptions = {}): Tensor {
  checkPamrShapes(image.shape, mask.shape);
  const dilations = opts.dilations ?? DEFAULT_DILATIONS;
  const iterations = opts.iterations ?? DEFAULT_ITERATIONS;
  checkDilations('pamr', dilations);
  assertShape(Number.isInteger(iterations) && iterations >= 0, 'pamr', `iterations must be an integer >= 0, got ${iterations}`);
  const g = geomOf(image, dilations);
  const C = mask.shape[1]!;
  const alpha = affinity(image, g);
  const k = kernelsFor(pamrFits(g, C), pamrKernels);
  let m: DataArray = mask.data;
  if (k) m = k.propagate(m, alpha, C, iterations, g);
  else for (let t = 0; t < iterations; t++) m = pamrStepRef(m, alpha, C, g);
  if (m === mask.data) {
    m = allocate(m.length);
    m.set(mask.data);
  }
  return new Tensor(m, mask.shape);
}
