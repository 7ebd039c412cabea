/**
 * Segmenter training: per-pixel cross-entropy against masks, 255 ignored. The masks are
 * whatever the caller puts in the samples: pseudo-masks (WSSS), true masks for a labelled
 * fraction and pseudo-masks for the rest (SSSS), or true masks only (the upper bound).
 */
import { mixSeed } from '../data/sampling.js';
import { Rng } from '../core/random.js';
import type { Sample } from '../data/sample.js';
import { UserError } from '../core/errors.js';
import type { SGD } from '../optim/sgd.js';
import { trainDefaults, type TrainConfig } from './config.js';
import { Tensor } from '../core/tensor.js';
import { crossEntropy } from '../../ops/loss.js';
import { add, mul } from '../../ops/elementwise.js';
import type { Batch } from '../data/batch.js';
import type { Segmenter } from '../../models/segmenter.js';
import { trainOnSamples, type TrainLoopResult } from './trainer.js';
import type { TrainHooks } from './classifier.js';

/** Segmenter training options: the shared TrainConfig plus the weight of true-mask pixels (SSSS). */
export interface SegmenterTrainConfig extends TrainConfig {
  /**
   * SSSS: weight of a pixel of a true mask against a pixel of a pseudo-mask in the loss (1: plain
   * per-pixel mean). The labelled images are few; their masks carry none of the pseudo-masks'
   * systematic errors.
   */
  labeledWeight: number;
}

/** Defaults: the shared TrainConfig defaults, true-mask pixels weighted like pseudo-mask pixels. */
export const segmenterTrainDefaults: SegmenterTrainConfig = { ...trainDefaults, labeledWeight: 1 };

/**
 * The ids of the seeded fraction `labeledFraction` of samples that keep their true masks (SSSS),
 * drawn from the samples that have one (image-label-only samples have none).
 */
export function labeledIds(samples: readonly Sample[], labeledFraction: number, seed: number): Set<string> {
  const count = Math.round(labeledFraction * samples.length);
  const withMask = samples.filter((s) => s.mask).map((s) => s.id);
  if (withMask.length < count) throw new UserError(`a labelled fraction of ${labeledFraction} needs ${count} train images with a true mask; only ${withMask.length} have one`);
  return new Set(new Rng(mixSeed(seed, 0x5555)).shuffle(withMask).slice(0, count));
}

/**
 * Give each train sample the mask it is trained on: true masks for a seeded fraction
 * `labeledFraction` of the images (SSSS, see labeledIds), pseudo-masks for the rest.
 */
export function mixMasks(samples: readonly Sample[], pseudo: ReadonlyMap<string, Uint8Array>, labeledFraction: number, seed: number): Sample[] {
  const labeled = labeledIds(samples, labeledFraction, seed);
  return samples.map((s) => {
    if (labeled.has(s.id)) return s;
    const m = pseudo.get(s.id);
    if (!m) throw new UserError(`no pseudo-mask for image "${s.id}"`);
    return { ...s, mask: m };
  });
}

/** Labels 0..C of `masks` [N,H*W] that are not 255, counted. */
function countLabelled(masks: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < masks.length; i++) if (masks[i] !== 255) n++;
  return n;
}

/**
 * Per-pixel cross-entropy (255 ignored) where the pixels of images in `labeled` weigh `weight`
 * and the others 1: sum of weighted pixel losses / sum of weights. With weight 1 (or a batch of
 * one kind) it is crossEntropy itself.
 */
export function weightedCrossEntropy(logits: Tensor, b: Pick<Batch, 'ids' | 'masks'>, labeled: ReadonlySet<string>, weight: number): Tensor {
  const plane = b.masks.length / b.ids.length;
  const isLabeled = b.ids.map((id) => labeled.has(id));
  if (weight === 1 || isLabeled.every((v) => v === isLabeled[0])) return crossEntropy(logits, b.masks);
  // Two means over disjoint pixel sets (the other set ignored), recombined with their weights.
  const only = (keep: boolean) => {
    const m = b.masks.slice();
    isLabeled.forEach((l, n) => l !== keep && m.fill(255, n * plane, (n + 1) * plane));
    return { ce: crossEntropy(logits, m), count: countLabelled(m) };
  };
  const [t, p] = [only(true), only(false)];
  const total = weight * t.count + p.count;
  if (total === 0) return crossEntropy(logits, b.masks);
  return add(mul(t.ce, (weight * t.count) / total), mul(p.ce, p.count / total));
}

/**
 * Train the segmenter with per-pixel cross-entropy (255 ignored) against each sample's `mask`
 * (see mixMasks); the images in `hooks.labeled` (true masks in SSSS) weigh cfg.labeledWeight.
 * Resolves with where to resume if `hooks.shouldStop` stopped it, else null.
 */
export function trainSegmenter(model: Segmenter, optimizer: SGD, samples: readonly Sample[], cfg: SegmenterTrainConfig, hooks: TrainHooks & { stage?: string; labeled?: ReadonlySet<string> } = {}): Promise<TrainLoopResult> {
  const { stage = 'segmenter', labeled = new Set<string>(), ...loopHooks } = hooks;
  return trainOnSamples({ stage, model, optimizer, samples, cfg, numClasses: model.config.numClasses }, loopHooks, (b) => {
    const loss = weightedCrossEntropy(model.forward(new Tensor(b.images, [b.size, 3, b.height, b.width])), b, labeled, cfg.labeledWeight);
    return { loss, metrics: { loss_ce: loss.item() } };
  });
}
