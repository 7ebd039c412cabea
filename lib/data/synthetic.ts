/**
 * The synthetic dataset: shape classes on cluttered backgrounds, with saliency maps carrying
 * injected errors. Deterministic from a seed; each image has its own random stream derived from
 * (seed, split, index), so images are generated lazily, in any order, with identical results.
 */
import { UserError } from '../errors.js';
import { Rng } from '../random.js';
import { mixSeed } from './sampling.js';
import { labelsOfMask, SPLITS, type Dataset, type Sample, type Split } from './sample.js';
import { makeSaliency } from './synthetic-saliency.js';
import { drawScene } from './synthetic-scene.js';
import { CLASS_SHAPES } from './shapes.js';

/** Settings of the synthetic generator; every field has a default. */
export interface SyntheticOptions {
  /** Number of training images (default 1000). */
  train?: number;
  /** Number of validation images (default 200). */
  val?: number;
  /** Image side in pixels (default 64). */
  size?: number;
  /** Number of shape classes (default 6: disc, square, triangle, ring, cross, star). */
  classes?: number;
  /** Random seed, a 32-bit unsigned integer (default 0). */
  seed?: number;
  /** Per-image rate of a missing class in the saliency map (default 0.2). */
  missingClass?: number;
  /** Per-object rate of a missing object part (default 0.3). */
  missingObject?: number;
  /** Per-image rate of false coverage (default 0.3). */
  falseCoverage?: number;
}

/** Default value and accepted range of every option (integers unless `real`). */
export const SYNTHETIC_LIMITS: Record<keyof SyntheticOptions, { default: number; min: number; max: number; real?: boolean }> = {
  train: { default: 1000, min: 1, max: 1_000_000 },
  val: { default: 200, min: 0, max: 1_000_000 },
  size: { default: 64, min: 32, max: 1024 },
  classes: { default: 6, min: 1, max: CLASS_SHAPES.length },
  seed: { default: 0, min: 0, max: 2 ** 32 - 1 },
  missingClass: { default: 0.2, min: 0, max: 1, real: true },
  missingObject: { default: 0.3, min: 0, max: 1, real: true },
  falseCoverage: { default: 0.3, min: 0, max: 1, real: true },
};

/** Options with every default filled in. */
export type ResolvedSyntheticOptions = Required<SyntheticOptions>;

/** Fill in defaults and check ranges (RangeError: callers validate user input before this). */
export function resolveSyntheticOptions(options: SyntheticOptions = {}): ResolvedSyntheticOptions {
  const resolved = {} as ResolvedSyntheticOptions;
  for (const key of Object.keys(SYNTHETIC_LIMITS) as (keyof SyntheticOptions)[]) {
    const limit = SYNTHETIC_LIMITS[key];
    const value = options[key] ?? limit.default;
    const ok = Number.isFinite(value) && value >= limit.min && value <= limit.max && (limit.real || Number.isInteger(value));
    if (!ok) throw new RangeError(`synthetic: ${key} = ${value} is not ${limit.real ? 'a number' : 'an integer'} in ${limit.min}..${limit.max}`);
    resolved[key] = value;
  }
  return resolved;
}

/** A lazily generated synthetic dataset; `options` holds the resolved settings. */
export interface SyntheticDataset extends Dataset {
  readonly options: ResolvedSyntheticOptions;
}

const ID_PATTERN = /^(train|val)_(\d{5,})$/;

/** Id of image `index` of a split: `train_00042`. */
export function syntheticId(split: Split, index: number): string {
  return `${split}_${String(index).padStart(5, '0')}`;
}

/** Generate one image of the synthetic dataset. */
export function generateSample(options: ResolvedSyntheticOptions, split: Split, index: number): Sample {
  const rng = new Rng(mixSeed(options.seed, SPLITS.indexOf(split), index));
  const { size } = options;
  const scene = drawScene(rng, size, options.classes);
  const { saliency, errors } = makeSaliency(scene, options, rng);
  return { id: syntheticId(split, index), height: size, width: size, image: scene.image, saliency, mask: scene.mask, labels: labelsOfMask(scene.mask), errors };
}

/** Create the synthetic dataset (nothing is generated until `load`). */
export function synthetic(options: SyntheticOptions = {}): SyntheticDataset {
  const resolved = resolveSyntheticOptions(options);
  const count = (split: Split) => (split === 'train' ? resolved.train : resolved.val);
  return {
    options: resolved,
    classes: CLASS_SHAPES.slice(0, resolved.classes),
    ids: (split) => Array.from({ length: count(split) }, (_, i) => syntheticId(split, i)),
    load(id) {
      const match = ID_PATTERN.exec(id);
      const split = match?.[1] as Split | undefined;
      const index = Number(match?.[2]);
      if (!split || index >= count(split) || syntheticId(split, index) !== id) throw new UserError(`unknown synthetic image id "${id}"`);
      return generateSample(resolved, split, index);
    },
  };
}
