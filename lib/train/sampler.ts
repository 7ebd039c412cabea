/**
 * Batches for training, deterministic from (seed, epoch, batch index): the epoch's order and
 * every augmentation draw come from derived seeds, never from a shared stream, so a run
 * resumed at any batch sees exactly the batches an uninterrupted run would have seen.
 */
import { augment, type AugmentOptions } from '../data/augment.js';
import { makeBatch, type Batch } from '../data/batch.js';
import { mixSeed } from '../data/sampling.js';
import { Rng } from '../core/random.js';
import type { Sample } from '../data/sample.js';
import { Tensor } from '../core/tensor.js';

/** Options of BatchSampler. */
export interface SamplerOptions {
  batchSize: number;
  seed: number;
  numClasses: number;
  /** null: no augmentation (samples of different sizes are then padded to the largest in each batch). */
  augment: AugmentOptions | null;
}

/** Crops of a derived size are a multiple of this: 8 is a multiple of every output stride the models allow (2, 4, 8). */
export const CROP_MULTIPLE = 8;

/**
 * The crop `augment` uses when it names none: nothing when every sample has one size (each is
 * cropped to its own size, as before crops existed), else a square with the median short side
 * of the samples, rounded to a multiple of CROP_MULTIPLE. Larger images are cropped, smaller
 * ones padded; one size for the whole set lets any images share a batch.
 */
export function trainingCrop(samples: readonly Pick<Sample, 'height' | 'width'>[]): number | null {
  if (samples.every((s) => s.height === samples[0]!.height && s.width === samples[0]!.width)) return null;
  const shortSides = samples.map((s) => Math.min(s.height, s.width)).sort((a, b) => a - b);
  const median = shortSides[Math.floor((shortSides.length - 1) / 2)]!;
  return Math.max(CROP_MULTIPLE, Math.round(median / CROP_MULTIPLE) * CROP_MULTIPLE);
}

/** A line saying which crop training derives for samples of several sizes, or '' when it derives none (one size, or a crop is set). */
export function derivedCropNote(samples: readonly Pick<Sample, 'height' | 'width'>[], augment: AugmentOptions | null): string {
  const crop = augment && augment.crop == null ? trainingCrop(samples) : null;
  if (crop === null) return '';
  const sizes = new Set(samples.map((s) => `${s.height}x${s.width}`)).size;
  return `${samples.length} train images of ${sizes} sizes: training crops of ${crop}x${crop} (the median short side, a multiple of ${CROP_MULTIPLE}; set augment.crop to choose)`;
}

/**
 * Deterministic training batches: batch(epoch, index) shuffles with a seed derived from
 * (seed, epoch) and augments each image from its own derived seed. The last partial batch is
 * dropped (at least one batch per epoch).
 */
export class BatchSampler {
  readonly batchesPerEpoch: number;
  /** The augmentation applied, with the crop derived from the data when opts.augment names none. */
  readonly augment: AugmentOptions | null;
  constructor(private readonly samples: readonly Sample[], private readonly opts: SamplerOptions) {
    // The last partial batch is dropped: BatchNorm statistics of a 1-image batch are noise.
    this.batchesPerEpoch = Math.max(1, Math.floor(samples.length / opts.batchSize));
    const crop = opts.augment?.crop ?? trainingCrop(samples);
    this.augment = opts.augment === null ? null : { ...opts.augment, crop };
  }

  batch(epoch: number, index: number): Batch {
    const { batchSize, seed, numClasses } = this.opts;
    const order = new Rng(mixSeed(seed, epoch)).shuffle(this.samples);
    const picked = order.slice(index * batchSize, index * batchSize + batchSize);
    const options = this.augment;
    const augmented = options === null ? picked : picked.map((s, k) => augment(s, new Rng(mixSeed(seed, epoch, index, k)), options));
    return makeBatch(augmented, numClasses);
  }
}

/** The batch's arrays as tensors: images [N,3,H,W], saliency [N,1,H,W], labels [N,C], and valid [N,1,H,W] when the batch has padding. */
export function batchTensors(b: Batch, numClasses: number): { images: Tensor; saliency: Tensor; labels: Tensor; valid?: Tensor } {
  const tensors = {
    images: new Tensor(b.images, [b.size, 3, b.height, b.width]),
    saliency: new Tensor(b.saliency, [b.size, 1, b.height, b.width]),
    labels: new Tensor(b.labels, [b.size, numClasses]),
  };
  return b.valid ? { ...tensors, valid: new Tensor(b.valid, [b.size, 1, b.height, b.width]) } : tensors;
}
