/**
 * EPS++ saliency loss with Inconsistent Region Drop (IRD), method `eps++`
 * (docs/method.md#ird-saliency-loss): pixels where the PAMR-refined foreground and the saliency map disagree are
 * dropped from the loss, which handles missing classes, missing object parts and false
 * coverage per pixel.
 */
import { detach, noGrad } from '../core/autograd.js';
import { compare, div, maximum, mul, square, sub } from '../../ops/elementwise.js';
import { softmax } from '../../ops/activation.js';
import { pamr } from '../../ops/pamr.js';
import type { PamrOptions } from '../../ops/pamr-geom.js';
import { mean, sum } from '../../ops/reduce.js';
import { concat } from '../../ops/movement.js';
import { zeros, type Tensor } from '../core/tensor.js';
import { binarize, channelSum, checkMaps } from './maps.js';

/** PAMR settings for M_r (defaults: dilations [1,2,4,8,12,24], 10 iterations). */
export interface IrdOptions extends PamrOptions {
  /**
   * [N,1,h,w] 1 on image pixels, 0 on padding (see validAtMap): padding is dropped from the
   * loss like an inconsistent pixel, and left out of the dropped share. Default: all valid.
   */
  valid?: Tensor;
}

/**
 * PAMR dilations for a grid `ratio` times as fine as the one they were chosen for: each
 * dilation scaled and rounded, at least 1, duplicates removed (order kept).
 *
 * Why the IRD needs this: the default dilations [1,2,4,8,12,24] are in image pixels (PAMR at
 * inference runs on the full image), but the IRD runs PAMR on the localization maps, which
 * are 1/outputStride of the image (16x16 for 64x64 images). There, dilations 12 and 24 reach
 * past the map from almost every pixel, the clamped coordinates land on the border row or
 * column, and those 16 of 48 neighbours carry a fifth of the affinity mass (measured on the
 * synthetic data at 16x16: 0.11 + 0.11 for d = 12, 24). Scaling by map/image keeps what the
 * defaults mean, the same neighbourhoods relative to the objects:
 * scaleDilations([1,2,4,8,12,24], 1/4) = [1,2,3,6].
 */
export function scaleDilations(dilations: readonly number[], ratio: number): number[] {
  if (!(ratio > 0) || !Number.isFinite(ratio)) throw new RangeError(`scaleDilations: ratio must be a positive number, got ${ratio}`);
  return [...new Set(dilations.map((d) => Math.max(1, Math.round(d * ratio))))];
}

/** The maps of the IRD for a batch: M_fg, M_r and N (docs/method.md#ird-saliency-loss). */
export interface IrdMaps {
  /** `M_fg = sum_{c>=1} y_c P_c` [N,1,h,w] (carries the gradient). */
  mFg: Tensor;
  /** `M_r = sum_{c>=1} y_c R_c` [N,1,h,w], R = PAMR(I, P) (no gradient). */
  mR: Tensor;
  /** N = B(M_r) XOR B(S) [N,1,h,w]: 1 = inconsistent pixel, dropped from the loss. */
  inconsistent: Tensor;
}

/** M_fg = sum_{c>=1} y_c P_c [N,1,h,w] with P = softmax(z) over channels (carries the gradient). */
export function foregroundMap(z: Tensor, labels: Tensor): Tensor {
  const N = z.shape[0]!;
  return channelSum(softmax(z, 1), concat([zeros([N, 1]), labels], 1)); // background weight 0
}

/**
 * Per image sum_p keep_p (M_fg,p - S_p)^2 / max(1, sum_p keep_p), then the batch mean: the IRD
 * loss with keep = 1 - N, the undropped saliency loss with keep = 1 (no pixel dropped).
 */
export function keptSaliencyLoss(mFg: Tensor, saliency: Tensor, keep: Tensor | null): Tensor {
  const err = square(sub(mFg, saliency));
  if (keep === null) return mean(mean(err, [1, 2, 3]));
  return mean(div(sum(mul(keep, err), [1, 2, 3]), maximum(sum(keep, [1, 2, 3]), 1)));
}

/**
 * The saliency loss with nothing dropped: per image mean of (M_fg - S)^2, then the batch mean
 * (irdSaliencyLoss with N = 0; `valid` [N,1,h,w] leaves padding out). One of the warm-up losses that come before the IRD: it teaches
 * the maps to cover the salient pixels before N is trusted to say which of them are wrong.
 */
export function undroppedSaliencyLoss(z: Tensor, labels: Tensor, saliency: Tensor, valid?: Tensor): Tensor {
  checkMaps('undroppedSaliencyLoss', z, labels, valid ? { saliency: [saliency, 1], valid: [valid, 1] } : { saliency: [saliency, 1] });
  return keptSaliencyLoss(foregroundMap(z, labels), saliency, valid ?? null);
}

/** What irdSaliencyDetails returns: the IRD maps, the loss and the share of dropped pixels. */
export interface IrdDetails extends IrdMaps {
  loss: Tensor;
  /** Share of pixels dropped (mean of N), for logging. */
  dropped: number;
}

/** N = B(a) XOR B(b): 1 where exactly one of the two maps exceeds 0.5. */
export function inconsistent(a: Tensor, b: Tensor): Tensor {
  return compare(binarize(a), 'ne', binarize(b));
}

/** M_fg, M_r and N for a batch; M_fg carries the gradient of z (wrap in noGrad to inspect). */
export function irdMaps(z: Tensor, labels: Tensor, saliency: Tensor, image: Tensor, opts: IrdOptions = {}): IrdMaps {
  checkMaps('irdSaliencyLoss', z, labels, opts.valid ? { saliency: [saliency, 1], image: [image, 3], valid: [opts.valid, 1] } : { saliency: [saliency, 1], image: [image, 3] });
  const mFg = foregroundMap(z, labels);
  // R = PAMR(I, P) with the gradient stopped. PAMR mixes each channel with the same
  // image-only weights, so sum_c y_c R_c = PAMR(I, sum_c y_c P_c): refining the detached
  // M_fg gives M_r at the cost of one channel instead of C+1.
  const mR = noGrad(() => pamr(image, detach(mFg), opts));
  return { mFg, mR, inconsistent: inconsistent(mR, saliency) };
}

/** N = B(M_r) XOR B(S) [N,1,h,w] for inspection: the pixels IRD drops from the loss. */
export function inconsistentRegion(z: Tensor, labels: Tensor, saliency: Tensor, image: Tensor, opts: IrdOptions = {}): Tensor {
  return noGrad(() => irdMaps(z, labels, saliency, image, opts).inconsistent);
}

/** The IRD loss with the maps behind it and the share of dropped pixels. */
export function irdSaliencyDetails(z: Tensor, labels: Tensor, saliency: Tensor, image: Tensor, opts: IrdOptions = {}): IrdDetails {
  const maps = irdMaps(z, labels, saliency, image, opts);
  const { valid } = opts;
  // Per image: the mean squared error over the kept pixels 1 - N (0 when none is kept); padding is never kept.
  const loss = keptSaliencyLoss(maps.mFg, saliency, valid ? mul(sub(1, maps.inconsistent), valid) : sub(1, maps.inconsistent));
  const dropped = valid ? sum(mul(maps.inconsistent, valid)).item() / Math.max(1, sum(valid).item()) : mean(maps.inconsistent).item();
  return { ...maps, loss, dropped };
}

/**
 * L_sal of EPS++: per image sum_p (1 - N_p)(M_fg,p - S_p)^2 / max(1, sum_p (1 - N_p)), then the
 * batch mean. z [N,C+1,h,w], labels [N,C], saliency [N,1,h,w], image [N,3,h,w] (both already
 * at the map size: see resizeToMap).
 */
export function irdSaliencyLoss(z: Tensor, labels: Tensor, saliency: Tensor, image: Tensor, opts: IrdOptions = {}): Tensor {
  return irdSaliencyDetails(z, labels, saliency, image, opts).loss;
}
