/**
 * Inference batches: samples grouped by image size and stacked [n,3,H,W], so that every image
 * is computed at its own size (docs/method.md#evaluation) in as few model calls as memory
 * allows. Used by segmenter prediction and by pseudo-masks over a dataset.
 */
import { Tensor } from '../core/tensor.js';
import type { Sample } from './sample.js';

/** What inference needs of a sample: its id and image [3,H,W] at its own size. */
export type ImageSample = Pick<Sample, 'id' | 'height' | 'width' | 'image'>;

/** Images per model call at most (pseudo-masks multiply it: x2 with flips, x3 scales). */
export const BATCH_IMAGES = 8;
/**
 * Pixels per model call at most, so that memory stays bounded on large images (one image
 * always goes, and is itself bounded by the size limit). 8 images of 64x64 fit.
 */
const BATCH_PIXELS = 256 * 256;

/**
 * Samples grouped by image size (sizes in order of first appearance, samples in list order
 * within a size), each group split into batches of at most `max` images and BATCH_PIXELS
 * pixels, with their images stacked [n,3,H,W]. Every image is computed at its own size;
 * an image whose size no other shares goes alone.
 */
export function* sameSizeBatches<S extends ImageSample>(samples: readonly S[], max: number): Generator<{ group: S[]; images: Tensor }> {
  const bySize = new Map<string, S[]>();
  for (const s of samples) {
    const key = `${s.height}x${s.width}`;
    const list = bySize.get(key);
    if (list) list.push(s);
    else bySize.set(key, [s]);
  }
  for (const sized of bySize.values()) {
    const { height: H, width: W } = sized[0]!;
    const per = Math.max(1, Math.min(max, Math.floor(BATCH_PIXELS / (H * W))));
    for (let i = 0; i < sized.length; i += per) {
      const group = sized.slice(i, i + per);
      const images = new Float32Array(group.length * 3 * H * W);
      group.forEach((s, k) => images.set(s.image, k * 3 * H * W));
      yield { group, images: new Tensor(images, [group.length, 3, H, W]) };
    }
  }
}
