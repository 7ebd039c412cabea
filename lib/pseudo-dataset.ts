/**
 * Pseudo-masks for a dataset (docs/method.md#pseudo-masks): every sample at its own size,
 * from its image-level labels, with images of one size batched through the classifier
 * (./pseudo.ts makes the masks of one batch); and the PAMR refinement of a raw pseudo-mask
 * from its scores, without running the classifier again.
 */
import type { Tensor } from './core/tensor.js';
import type { Sample } from './data/sample.js';
import { BATCH_IMAGES, sameSizeBatches } from './data/same-size-batches.js';
import { silentProgress, type ProgressReporter } from './progress.js';
import { pseudoMasks, refinePseudoMasks, type PseudoMask, type PseudoMaskOptions } from './pseudo.js';
import { reshape } from '../ops/movement.js';
import type { Classifier } from '../models/classifier.js';

/** Pseudo-masks (docs/method.md#pseudo-masks) for every sample, at its own size, from its image-level labels. */
export function makePseudoMasks(
  model: Classifier,
  samples: readonly Sample[],
  opts: PseudoMaskOptions & { progress?: ProgressReporter; onMask?: (id: string, r: PseudoMask) => void } = {},
): Map<string, Uint8Array> {
  const task = (opts.progress ?? silentProgress).start('pseudo-masks', samples.length);
  const C = model.config.numClasses;
  const wasTraining = model.training;
  model.eval();
  const out = new Map<string, Uint8Array>();
  try {
    // Images of one size go through the model together (same masks, larger kernel launches).
    for (const { group, images } of sameSizeBatches(samples, BATCH_IMAGES)) {
      const ys = group.map((s) => {
        const y = new Float32Array(C);
        for (const c of s.labels) y[c - 1] = 1;
        return y;
      });
      pseudoMasks((x) => model.forward(x).maps, images, ys, opts).forEach((r, k) => {
        out.set(group[k]!.id, r.mask);
        opts.onMask?.(group[k]!.id, r);
      });
      task.tick(group.length);
    }
  } finally {
    model.train(wasTraining);
    task.done();
  }
  return out;
}

/**
 * The PAMR-refined mask from a raw pseudo-mask's stacked scores [K+1,H,W]: what makePseudoMasks
 * gives with `pamr: true` (PAMR with its defaults on the full image, then the argmax), without
 * running the classifier again.
 */
export function refinePseudoMask(image: Tensor, r: PseudoMask): Uint8Array {
  const [, H, W] = r.scores.shape as [number, number, number];
  return refinePseudoMasks(reshape(image, [1, 3, H, W]), [r])[0]!;
}
