/**
 * Stacking samples into the flat NCHW arrays the training loops consume. Samples of different
 * sizes are padded (bottom and right) to the largest height and width in the batch; the
 * padding is marked in `valid` and ignored (255) in `masks`, as crop padding is.
 */
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
  /** [N,H,W] true labels; 255 (ignore) for samples without a mask and on padding. */
  masks: Uint8Array;
  /** [N,1,H,W] 1 on image pixels, 0 on padding; absent when the batch has no padding. */
  valid?: Float32Array;
  /** [N,H,W] injected saliency error types, when every sample has them (synthetic data). */
  saliencyErrors?: Uint8Array;
}

/** Copy a [rows, cols] plane into a [height, width] plane at the top left. */
function place(dst: Float32Array | Uint8Array, offset: number, width: number, src: Float32Array | Uint8Array, rows: number, cols: number): void {
  if (cols === width) dst.set(src.subarray(0, rows * cols), offset);
  else for (let y = 0; y < rows; y++) dst.set(src.subarray(y * cols, (y + 1) * cols), offset + y * width);
}

/** Stack samples into a batch with `numClasses` label columns, padding smaller ones to the largest size. */
export function makeBatch(samples: Sample[], numClasses: number): Batch {
  if (samples.length === 0) throw new RangeError('makeBatch: no samples');
  const height = Math.max(...samples.map((s) => s.height));
  const width = Math.max(...samples.map((s) => s.width));
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
  const padded = samples.some((s) => s.valid || s.height !== height || s.width !== width);
  if (padded) batch.valid = new Float32Array(n * plane);
  samples.forEach((s, i) => {
    const { height: h, width: w } = s;
    for (let c = 0; c < 3; c++) place(batch.images, (3 * i + c) * plane, width, s.image.subarray(c * h * w, (c + 1) * h * w), h, w);
    place(batch.saliency, i * plane, width, s.saliency, h, w);
    if (s.mask) place(batch.masks, i * plane, width, s.mask, h, w);
    if (errors && s.errors?.pixels) place(errors, i * plane, width, s.errors.pixels, h, w);
    if (batch.valid) place(batch.valid, i * plane, width, s.valid ?? new Uint8Array(h * w).fill(1), h, w);
    for (const c of s.labels) {
      if (!(c >= 1 && c <= numClasses)) throw new RangeError(`makeBatch: image "${s.id}" has label ${c} outside 1..${numClasses}`);
      batch.labels[i * numClasses + c - 1] = 1;
    }
  });
  return batch;
}
