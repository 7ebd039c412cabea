/**
 * Inference and scoring: segmenter predictions, pseudo-masks for a set of images, and mIoU
 * (docs/method.md#evaluation: confusion matrix over 0..C ignoring 255, mean over labels present).
 */
import { noGrad } from './core/autograd.js';
import type { Sample } from './data/sample.js';
import { ConfusionMatrix } from './metrics.js';
import { silentProgress, type ProgressReporter } from './progress.js';
import { pseudoMasks, type PseudoMaskOptions } from './pseudo.js';
import { Tensor } from './core/tensor.js';
import type { Classifier } from '../models/classifier.js';
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

/** Per pixel argmax over the channels of logits [N,K,H,W] -> N masks of H*W labels. */
export function argmaxChannels(logits: Tensor): Uint8Array[] {
  const [N, K, H, W] = logits.shape as [number, number, number, number];
  const HW = H * W;
  const d = logits.data;
  return Array.from({ length: N }, (_, n) => {
    const mask = new Uint8Array(HW);
    const base = n * K * HW;
    for (let p = 0; p < HW; p++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (d[base + k * HW + p]! > d[base + best * HW + p]!) best = k;
      mask[p] = best;
    }
    return mask;
  });
}

/** What inference needs of a sample: its id and image [3,H,W] at its own size. */
export type ImageSample = Pick<Sample, 'id' | 'height' | 'width' | 'image'>;

/** Images per model call at most (pseudo-masks multiply it: x2 with flips, x3 scales). */
const BATCH_IMAGES = 8;
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
function* sameSizeBatches<S extends ImageSample>(samples: readonly S[], max: number): Generator<{ group: S[]; images: Tensor }> {
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

/** One image's pseudo-mask: `mask` holds H*W labels (row-major, 0 = background), with the scores it came from. */
export interface PseudoMaskResult {
  mask: Uint8Array;
  /** Stacked scores [K+1,H,W] and their labels, for inspection. */
  scores: Tensor;
  classes: number[];
}

/** Pseudo-masks (docs/method.md#pseudo-masks) for every sample, at its own size, from its image-level labels. */
export function makePseudoMasks(
  model: Classifier,
  samples: readonly Sample[],
  opts: PseudoMaskOptions & { progress?: ProgressReporter; onMask?: (id: string, r: PseudoMaskResult) => void } = {},
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
