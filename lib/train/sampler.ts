/**
 * Batches for training, deterministic from (seed, epoch, batch index): the epoch's order and
 * every augmentation draw come from derived seeds, never from a shared stream, so a run
 * resumed at any batch sees exactly the batches an uninterrupted run would have seen.
 */
import { augment, type AugmentOptions } from '../data/augment.js';
import { makeBatch, type Batch } from '../data/batch.js';
import { mixSeed } from '../data/sampling.js';
import { Rng } from '../random.js';
import type { Sample } from '../data/sample.js';
import { Tensor } from '../tensor.js';

export interface SamplerOptions {
  batchSize: number;
  seed: number;
  numClasses: number;
  /** null: no augmentation (samples must then share one size). */
  augment: AugmentOptions | null;
}

/**
 * Deterministic training batches: batch(epoch, index) shuffles with a seed derived from
 * (seed, epoch) and augments each image from its own derived seed. The last partial batch is
 * dropped (at least one batch per epoch).
 */
export class BatchSampler {
  readonly batchesPerEpoch: number;
  constructor(private readonly samples: readonly Sample[], private readonly opts: SamplerOptions) {
    // The last partial batch is dropped: BatchNorm statistics of a 1-image batch are noise.
    this.batchesPerEpoch = Math.max(1, Math.floor(samples.length / opts.batchSize));
  }

  batch(epoch: number, index: number): Batch {
    const { batchSize, seed, numClasses } = this.opts;
    const order = new Rng(mixSeed(seed, epoch)).shuffle(this.samples);
    const picked = order.slice(index * batchSize, index * batchSize + batchSize);
    const augmented = this.opts.augment === null ? picked : picked.map((s, k) => augment(s, new Rng(mixSeed(seed, epoch, index, k)), this.opts.augment!));
    return makeBatch(augmented, numClasses);
  }
}

/** The batch's arrays as tensors: images [N,3,H,W], saliency [N,1,H,W], labels [N,C]. */
export function batchTensors(b: Batch, numClasses: number): { images: Tensor; saliency: Tensor; labels: Tensor } {
  return {
    images: new Tensor(b.images, [b.size, 3, b.height, b.width]),
    saliency: new Tensor(b.saliency, [b.size, 1, b.height, b.width]),
    labels: new Tensor(b.labels, [b.size, numClasses]),
  };
}
