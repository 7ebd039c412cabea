/** Label maps from per-channel scores: the argmax over channels, per pixel (no gradient). */
import { assertShape, shapeStr } from '../lib/core/shape.js';
import type { Tensor } from '../lib/core/tensor.js';

/**
 * Per pixel, the channel with the highest score (the first one on ties) of scores [N,K,H,W]:
 * N masks of H*W values, row-major. Channel k is written as `labels[k]` when `labels` is given
 * (the classes a pseudo-mask's channels stand for), else as k (a segmenter's logits).
 */
export function argmaxChannels(scores: Tensor, labels?: readonly number[]): Uint8Array[] {
  assertShape(scores.ndim === 4, 'argmaxChannels', `expects scores [N,K,H,W], got ${shapeStr(scores.shape)}`);
  const [N, K, H, W] = scores.shape as [number, number, number, number];
  assertShape(labels === undefined || labels.length === K, 'argmaxChannels', `${labels?.length} labels for ${K} channels`);
  const HW = H * W;
  const d = scores.data;
  return Array.from({ length: N }, (_, n) => {
    const mask = new Uint8Array(HW);
    const base = n * K * HW;
    for (let p = 0; p < HW; p++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (d[base + k * HW + p]! > d[base + best * HW + p]!) best = k;
      mask[p] = labels === undefined ? best : labels[best]!;
    }
    return mask;
  });
}
