/**
 * Segmenter scoring: predictions at each image's own size, and mIoU (docs/method.md#evaluation:
 * confusion matrix over 0..C ignoring 255, mean over labels present).
 */
import { noGrad } from './core/autograd.js';
import type { Sample } from './data/sample.js';
import { BATCH_IMAGES, sameSizeBatches, type ImageSample } from './data/same-size-batches.js';
import { ConfusionMatrix } from './metrics.js';
import { silentProgress, type ProgressReporter } from './progress.js';
import { argmaxChannels } from '../ops/argmax.js';
import type { Segmenter } from '../models/segmenter.js';

/**
 * Segmentation scores over labels 0..C (255 ignored): per-class IoU, their mean over the
 * labels present in prediction or truth, and pixel accuracy, all in [0,1]; `images` = images scored.
 */
export interface MiouResult {
  /** IoU per label 0..C (NaN where a label is in neither prediction nor truth). */
  perClass: number[];
  mIoU: number;
  pixelAccuracy: number;
  images: number;
}

/** Score predicted masks against true masks (images without a true mask are skipped). */
export function scoreMasks(predictions: ReadonlyMap<string, Uint8Array>, samples: readonly Sample[], numClasses: number): MiouResult {
  const cm = new ConfusionMatrix(numClasses);
  let images = 0;
  for (const s of samples) {
    const p = predictions.get(s.id);
    if (p === undefined || s.mask === undefined) continue;
    cm.add(p, s.mask);
    images++;
  }
  return { perClass: Array.from(cm.iou()), mIoU: cm.meanIoU(), pixelAccuracy: cm.pixelAccuracy(), images };
}

/** Segmenter masks for samples (any sizes: each at its own), batched by image size, in eval mode. */
export function predictMasks(model: Segmenter, samples: readonly ImageSample[], opts: { batchSize?: number; progress?: ProgressReporter; label?: string } = {}): Map<string, Uint8Array> {
  const batchSize = opts.batchSize ?? BATCH_IMAGES;
  const task = (opts.progress ?? silentProgress).start(opts.label ?? 'predict', samples.length);
  const out = new Map<string, Uint8Array>();
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (const { group, images } of sameSizeBatches(samples, batchSize)) {
        argmaxChannels(model.forward(images)).forEach((m, k) => out.set(group[k]!.id, m));
        task.tick(group.length);
      }
    });
  } finally {
    model.train(wasTraining);
    task.done();
  }
  return out;
}

/** Evaluate a segmenter on samples with true masks. */
export function evaluateSegmenter(model: Segmenter, samples: readonly Sample[], opts: { progress?: ProgressReporter } = {}): MiouResult {
  return scoreMasks(predictMasks(model, samples, { ...opts, label: 'evaluate' }), samples, model.config.numClasses);
}
