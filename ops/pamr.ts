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
  const C = mask.shape[1]!;
  return new Tensor(refinePlanes(image, mask.data, Array.from({ length: mask.shape[0]! * C }, (_, p) => Math.floor(p / C)), C, opts), mask.shape);
}

/**
 * PAMR of one mask per image, each with its own channel count: image [N,K,H,W], masks[n]
 * [1,C_n,H,W] (or [C_n,H,W]). Gives what pamr gives each image alone (each channel is
 * refined with its own image's affinities), in fewer, larger kernel launches.
 */
export function pamrEach(image: Tensor, masks: readonly Tensor[], opts: PamrOptions = {}): Tensor[] {
  const [N, , H, W] = image.shape;
  assertShape(image.ndim === 4 && masks.length === N, 'pamr', `expects image [N,K,H,W] and N masks, got ${shapeStr(image.shape)} and ${masks.length}`);
  const HW = H! * W!;
  const planeImage: number[] = [];
  masks.forEach((m, n) => {
    const shape = m.ndim === 3 ? [1, ...m.shape] : m.shape;
    checkPamrShapes([1, ...image.shape.slice(1)], shape);
    for (let c = 0; c < shape[1]!; c++) planeImage.push(n);
  });
  const all = allocate(planeImage.length * HW);
  let at = 0;
  for (const m of masks) {
    all.set(m.data, at);
    at += m.size;
  }
  const out = refinePlanes(image, all, planeImage, masks.reduce((c, m) => Math.max(c, m.size / HW), 1), opts);
  at = 0;
  return masks.map((m) => {
    const r = new Tensor(out.slice(at, at + m.size), m.shape);
    at += m.size;
    return r;
  });
}

/** T steps over mask planes [P,H,W], plane p of image planeImage[p] (non-decreasing); C = the most planes of one image. */
function refinePlanes(image: Tensor, planes: DataArray, planeImage: readonly number[], C: number, opts: PamrOptions): DataArray {
  const dilations = opts.dilations ?? DEFAULT_DILATIONS;
  const iterations = opts.iterations ?? DEFAULT_ITERATIONS;
  checkDilations('pamr', dilations);
  assertShape(Number.isInteger(iterations) && iterations >= 0, 'pamr', `iterations must be an integer >= 0, got ${iterations}`);
  const g = geomOf(image, dilations);
  const alpha = affinity(image, g);
  const k = kernelsFor(pamrFits(g, C), pamrKernels);
  let m: DataArray = planes;
  if (k) m = k.propagate(m, alpha, planeImage, iterations, g);
  else for (let t = 0; t < iterations; t++) m = pamrStepRef(m, alpha, planeImage, g);
  if (m === planes) {
    m = allocate(m.length);
    m.set(planes);
  }
  return m;
}
