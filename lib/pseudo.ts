/**
 * Pseudo-masks from a trained classifier (docs/method.md#pseudo-masks): multi-scale, flipped
 * inference; per-class maps normalised by their max; a constant background score;
 * optional PAMR; argmax. Independent of the model: it only needs a function from an
 * image batch to localization logits Z.
 */
import { noGrad } from './core/autograd.js';
import { allocate } from './core/precision.js';
import { assertShape, shapeStr } from './core/shape.js';
import { Tensor, full } from './core/tensor.js';
import { add, div, relu } from '../ops/elementwise.js';
import { softmax } from '../ops/activation.js';
import { argmaxChannels } from '../ops/argmax.js';
import { pamrEach } from '../ops/pamr.js';
import type { PamrOptions } from '../ops/pamr-geom.js';
import { max } from '../ops/reduce.js';
import { concat, reshape, slice, unsqueeze } from '../ops/movement.js';
import { resizeToMap } from './losses/maps.js';

/** Image batch [N,3,H',W'] -> localization logits Z [N,C+1,h,w] (background in channel 0). */
export type Localizer = (images: Tensor) => Tensor;

/** Options of pseudoMask, pseudoMasks and makePseudoMasks (docs/method.md#pseudo-masks); every field has the default it names. */
export interface PseudoMaskOptions {
  /** Inference scales relative to the image size. Default [1.0, 0.5, 1.5]. */
  scales?: number[];
  /** Also run every scale on the mirrored image. Default true. */
  flip?: boolean;
  /** The constant background score. Default 0.20. */
  threshold?: number;
  /** `cam` scores classes with relu(Z_c); the others with P_c = softmax(Z)_c. Default 'eps++'. */
  method?: 'cam' | 'eps' | 'eps++';
  /** Refine the stacked scores with PAMR on the full image before the argmax. Default false. */
  pamr?: boolean | PamrOptions;
}

/** The pseudo-mask of one image with the scores it was taken from. */
export interface PseudoMask {
  /** Label per pixel, row-major [H,W]: 0 = background, c = class c. */
  mask: Uint8Array;
  /** Stacked scores [K+1,H,W]: the background threshold, then each present class (after PAMR when asked). */
  scores: Tensor;
  /** The label of each score channel: [0, present classes...]. */
  classes: number[];
}

/** Mirror the last axis (a horizontal flip for [..,H,W]); no gradient. */
export function flipHorizontal(x: Tensor): Tensor {
  const W = x.shape[x.ndim - 1]!;
  const out = allocate(x.size);
  for (let row = 0; row < x.size; row += W) for (let j = 0; j < W; j++) out[row + j] = x.data[row + W - 1 - j]!;
  return new Tensor(out, x.shape);
}

/**
 * Sum over scales (and flips) of the class maps at the image size [N,C+1,H,W]:
 * P = softmax(Z) (relu(Z) for `cam`), upsampled bilinearly, flipped maps flipped back.
 * Each image's maps depend on that image only (the model runs in eval mode), so a batch
 * gives every image exactly what it would get alone, in fewer and larger kernel launches.
 */
function multiScaleMaps(localize: Localizer, images: Tensor, scales: readonly number[], flip: boolean, cam: boolean): Tensor {
  const [N, , H, W] = images.shape as [number, number, number, number];
  let total: Tensor | null = null;
  for (const s of scales) {
    const scaled = resizeToMap(images, [Math.max(1, Math.round(H * s)), Math.max(1, Math.round(W * s))]);
    const z = localize(flip ? concat([scaled, flipHorizontal(scaled)], 0) : scaled);
    const maps = resizeToMap(cam ? relu(z) : softmax(z, 1), [H, W]);
    const pass = flip ? add(slice(maps, 0, 0, N), flipHorizontal(slice(maps, 0, N, 2 * N))) : maps;
    total = total === null ? pass : add(total, pass);
  }
  return total!;
}

/**
 * The pseudo-mask of one image [1,3,H,W] (or [3,H,W]) with image-level labels y (length C,
 * y[c-1] = 1 when class c is present). Only present classes can appear in the mask.
 */
export function pseudoMask(localize: Localizer, image: Tensor, labels: ArrayLike<number>, opts: PseudoMaskOptions = {}): PseudoMask {
  const x = image.ndim === 3 ? unsqueeze(image, 0) : image;
  assertShape(x.ndim === 4 && x.shape[0] === 1, 'pseudoMask', `expects one image [1,3,H,W] or [3,H,W], got ${shapeStr(image.shape)}`);
  return pseudoMasks(localize, x, [labels], opts)[0]!;
}

/**
 * Pseudo-masks of a batch of same-size images [N,3,H,W], labels[n] = y of image n
 * (length C). Identical to calling pseudoMask on each image.
 */
export function pseudoMasks(localize: Localizer, images: Tensor, labels: ReadonlyArray<ArrayLike<number>>, opts: PseudoMaskOptions = {}): PseudoMask[] {
  const { scales = [1.0, 0.5, 1.5], flip = true, threshold = 0.2, method = 'eps++' } = opts;
  assertShape(images.ndim === 4 && images.shape[0] === labels.length, 'pseudoMasks', `expects images [N,3,H,W] with N label vectors, got ${shapeStr(images.shape)} and ${labels.length}`);
  assertShape(scales.length > 0 && scales.every((s) => s > 0), 'pseudoMask', `scales must be positive, got ${JSON.stringify(scales)}`);
  const [, , H, W] = images.shape as [number, number, number, number];
  return noGrad(() => {
    const all = multiScaleMaps(localize, images, scales, flip, method === 'cam');
    const raw = labels.map((y, n) => {
      const total = slice(all, 0, n, n + 1);
      assertShape(total.shape[1] === y.length + 1, 'pseudoMask', `model gives ${total.shape[1]} maps for ${y.length} labels (expected C+1)`);
      const classes = [0];
      for (let c = 1; c <= y.length; c++) if (y[c - 1]! > 0) classes.push(c);
      // Each present class map divided by its max, so the threshold is relative to the peak.
      const normalised = classes.slice(1).map((c) => {
        const map = slice(total, 1, c, c + 1);
        const peak = max(map).item();
        return peak > 0 ? div(map, peak) : map;
      });
      return { stacked: concat([full([1, 1, H, W], threshold), ...normalised], 1), classes };
    });
    // PAMR refines every image's scores in one batch (each with its own image's affinities)
    const refined = opts.pamr ? pamrEach(images, raw.map((r) => r.stacked), opts.pamr === true ? {} : opts.pamr) : raw.map((r) => r.stacked);
    return raw.map(({ classes }, n) => {
      const scores = refined[n]!;
      return { mask: argmaxChannels(scores, classes)[0]!, scores: reshape(scores, scores.shape.slice(1)), classes };
    });
  });
}

/**
 * The PAMR-refined masks of raw pseudo-masks (scores [K+1,H,W] as pseudoMasks gives them
 * without PAMR) of same-size images [N,3,H,W]: what pseudoMasks gives with `pamr`, without
 * running the model again. One batch of kernel launches for all of them.
 */
export function refinePseudoMasks(images: Tensor, raw: readonly PseudoMask[], opts: PamrOptions = {}): Uint8Array[] {
  const [, , H, W] = images.shape as [number, number, number, number];
  const refined = noGrad(() => pamrEach(images, raw.map((r) => reshape(r.scores, [1, r.classes.length, H, W])), opts));
  return refined.map((scores, n) => argmaxChannels(scores, raw[n]!.classes)[0]!);
}
