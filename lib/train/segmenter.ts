/**
 * Segmenter training: per-pixel cross-entropy against masks, 255 ignored. The masks are
 * whatever the caller puts in the samples: pseudo-masks (WSSS), true masks for a labelled
 * fraction and pseudo-masks for the rest (SSSS), or true masks only (the upper bound).
 */
import { mixSeed } from '../data/sampling.js';
import { Rng } from '../random.js';
import type { Sample } from '../data/sample.js';
import { UserError } from '../errors.js';
import type { SGD } from '../optim/sgd.js';
import { sgdFor, trainDefaults, type TrainConfig } from './config.js';
import { Tensor } from '../tensor.js';
import { crossEntropy } from '../../ops/loss.js';
import type { Segmenter } from '../../models/segmenter.js';
import { trainOnSamples, type TrainLoopResult } from './trainer.js';
import type { TrainHooks } from './classifier.js';

/** Segmenter training options: epochs, batchSize, lr, momentum, weightDecay, seed, augment. */
export type SegmenterTrainConfig = TrainConfig;

/** Defaults: 6 epochs, batch 8, lr 0.05, momentum 0.9, weight decay 1e-4, seed 0, rescale 0.8-1.2 and flips. */
export const segmenterTrainDefaults: SegmenterTrainConfig = trainDefaults;

/** SGD with momentum and weight decay from `cfg` over the segmenter's parameters (the head at its lrMult). */
export const segmenterOptimizer = (model: Segmenter, cfg: SegmenterTrainConfig): SGD => sgdFor(model, cfg);

/**
 * Give each train sample the mask it is trained on: true masks for a seeded fraction
 * `labeledFraction` of the images (SSSS), pseudo-masks for the rest.
 */
export function mixMasks(samples: readonly Sample[], pseudo: ReadonlyMap<string, Uint8Array>, labeledFraction: number, seed: number): Sample[] {
  const labeled = new Set(new Rng(mixSeed(seed, 0x5555)).shuffle(samples.map((s) => s.id)).slice(0, Math.round(labeledFraction * samples.length)));
  return samples.map((s) => {
    if (labeled.has(s.id)) {
      if (!s.mask) throw new UserError(`image "${s.id}" has no true mask for the labelled fraction`);
      return s;
    }
    const m = pseudo.get(s.id);
    if (!m) throw new UserError(`no pseudo-mask for image "${s.id}"`);
    return { ...s, mask: m };
  });
}

/**
 * Train the segmenter with per-pixel cross-entropy (255 ignored) against each sample's `mask`
 * (see mixMasks); resolves with where to resume if `hooks.shouldStop` stopped it, else null.
 */
export function trainSegmenter(model: Segmenter, optimizer: SGD, samples: readonly Sample[], cfg: SegmenterTrainConfig, hooks: TrainHooks & { stage?: string } = {}): Promise<TrainLoopResult> {
  const { stage = 'segmenter', ...loopHooks } = hooks;
  return trainOnSamples({ stage, model, optimizer, samples, cfg, numClasses: model.config.numClasses }, loopHooks, (b) => {
    const loss = crossEntropy(model.forward(new Tensor(b.images, [b.size, 3, b.height, b.width])), b.masks);
    return { loss, metrics: { loss_ce: loss.item() } };
  });
}
