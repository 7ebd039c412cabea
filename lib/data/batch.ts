/** Stacking samples of one size into the flat NCHW arrays the training loops consume. */
import { UserError } from '../errors.js';
import { IGNORE_LABEL, type Sample } from './sample.js';

/** A batch of N samples of size H x W, all arrays flat and row-major. */
export interface Batch {
  ids: string[];
  size: number;
  height: number;
  width: number;
  /** [N,3,H,W] RGB in [0,1]. */
  images: Float32Array;
  /** [N,1,H,W] in [0,1]. */
  saliency: Float32Array;
  /** [N,C] multi-hot: labels[n*C + c-1] = 1 when class c is present. */
  labels: Float32Array;
  /** [N,H,W] true labels; 255 (ignore) for samples without a mask. */
  masks: Uint8Array;
  /** [N,H,W] injected saliency error types, when every sample has them (synthetic data). */
  saliencyErrors?: Uint8Array;
}

/** Stack samples (all the same size) into a batch with `numClasses` label columns. */
export function makeBatch(samples: Sample[], numClasses: number): Batch {
  if (samples.length === 0) throw new RangeError('makeBatch: no samples');
  const { height, width } = samples[0];
  const plane = height * width, n = samples.length;
  const batch: Batch = {
    ids: samples.map((s) => s.id),
    size: n,
    height,
    width,
    images: new Float32Array(n * 3 * plane),
    saliency: new Float32Array(n * plane),
    labels: new Float32Array(n * numClasses),
    masks: new Uint8Array(n * plane).fill(IGNORE_LABEL),
  };
  const errors = samples.every((s) => s.errors?.pixels) ? new Uint8Array(n * plane) : undefined;
  if (errors) batch.saliencyErrors = errors;
  samples.forEach((s, i) => {
    if (s.height !== height || s.width !== width) {
      throw new UserError(`cannot batch image "${s.id}" (${s.width}x${s.height}) with "${samples[0].id}" (${width}x${height}): crop them to one size`);
    }
    batch.images.set(s.image, i * 3 * plane);
    batch.saliency.set(s.saliency, i * plane);
    if (s.mask) batch.masks.set(s.mask, i * plane);
    if (errors && s.errors?.pixels) errors.set(s.errors.pixels, i * plane);
    for (const c of s.labels) {
      if (!(c >= 1 && c <= numClasses)) throw new RangeError(`makeBatch: image "${s.id}" has label ${c} outside 1..${numClasses}`);
      batch.labels[i * numClasses + c - 1] = 1;
    }
  });
  return batch;
}
