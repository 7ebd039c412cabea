/** What every training loop is configured with, and the SGD both models train with. */
import type { AugmentOptions } from '../data/augment.js';
import type { Module } from '../nn/module.js';
import { SGD } from '../optim/sgd.js';

/** Options every training loop shares: epochs, batch size, SGD settings, seed and augmentation. */
export interface TrainConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  seed: number;
  /** null: no augmentation (samples of different sizes are padded to the largest in each batch). */
  augment: AugmentOptions | null;
}

export const trainDefaults: TrainConfig = {
  epochs: 6,
  batchSize: 8,
  lr: 0.05,
  momentum: 0.9,
  weightDecay: 1e-4,
  seed: 0,
  augment: { scale: [0.8, 1.2], crop: null, flip: true, color: 0 },
};

/** The optimizer of a training run (classifier or segmenter): SGD with the config's rate, momentum and weight decay over the model's parameters; each parameter's lrMult scales its rate (the models' headLrMult). */
export function sgdFor(model: Module<unknown>, cfg: TrainConfig): SGD {
  return new SGD(model.parameters(), { lr: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay });
}
