/**
 * The synthetic dataset: shape classes on cluttered backgrounds, with saliency maps carrying
 * injected errors (systematic by default, see synthetic-saliency.ts). Deterministic from a seed; each image has its own random stream derived from
 * (seed, split, index), so images are generated lazily, in any order, with identical results.
 */
import { UserError } from '../core/errors.js';
import { Rng } from '../core/random.js';
import { mixSeed } from './sampling.js';
import { labelsOfMask, SPLITS, type Dataset, type Sample, type Split } from './sample.js';
import { makeSaliency, type SyntheticSaliency } from './synthetic-saliency.js';
import { drawScene, type Appearance, type Scene } from './synthetic-scene.js';
import { CLASS_SHAPES, type ClassShape } from './shapes.js';

/** The saliency-error models (see synthetic-saliency.ts). */
export const SALIENCY_ERROR_MODELS = ['systematic', 'random'] as const;

/** Every Appearance (see synthetic-scene.ts). */
export const APPEARANCES: readonly Appearance[] = ['whole', 'parts'];

/**
 * Default per-class miss rate of the systematic model. Detectors trained on salient-object data
 * find compact filled shapes and miss thin, holed or spiky ones, which read as background
 * structure (as PASCAL chairs, tables and plants are missed): ring, star and crescent usually.
 */
export const CLASS_MISS_DEFAULT: Record<ClassShape, number> = { disc: 0.05, square: 0.05, triangle: 0.1, ring: 0.7, cross: 0.15, star: 0.5, hexagon: 0.05, crescent: 0.5 };

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
  /** Saliency-error model: 'systematic' (default) or 'random'. */
  errors?: (typeof SALIENCY_ERROR_MODELS)[number];
  /** 'whole' (default): the class colour and stripes cover the object; 'parts': only its head, on a body any class may have. */
  appearance?: Appearance;
  /** Share of objects of a class with a companion (disc: water, triangle: rails) drawn with it (default 0.8); both models. */
  companion?: number;
  /** Systematic: per-class miss rate, one per class or one for all (default CLASS_MISS_DEFAULT). */
  classMiss?: number[];
  /** Systematic: per-object rate of losing the shape's characteristic part (default 0.3). */
  partMiss?: number;
  /** Systematic: per-object rate of losing the side touching the border or another object (default 0.6). */
  contactMiss?: number;
  /** Systematic: per-companion rate of being marked salient (default 0.8). */
  contextSalient?: number;
  /** Systematic: per-distractor rate of being marked salient (default 0.2). */
  distractorSalient?: number;
  /** Random: per-image rate of a missing class in the saliency map (default 0.2). */
  missingClass?: number;
  /** Random: per-object rate of a missing object part (default 0.3). */
  missingObject?: number;
  /** Random: per-image rate of false coverage (default 0.3). */
  falseCoverage?: number;
}

/** The options that are single numbers. */
export type NumericSyntheticOption = Exclude<keyof SyntheticOptions, 'errors' | 'appearance' | 'classMiss'>;

/** Default value and accepted range of every numeric option (integers unless `real`). */
export const SYNTHETIC_LIMITS: Record<NumericSyntheticOption, { default: number; min: number; max: number; real?: boolean }> = {
  train: { default: 1000, min: 1, max: 1_000_000 },
  val: { default: 200, min: 0, max: 1_000_000 },
  size: { default: 64, min: 32, max: 1024 },
  classes: { default: 6, min: 1, max: CLASS_SHAPES.length },
  seed: { default: 0, min: 0, max: 2 ** 32 - 1 },
  companion: { default: 0.8, min: 0, max: 1, real: true },
  partMiss: { default: 0.3, min: 0, max: 1, real: true },
  contactMiss: { default: 0.6, min: 0, max: 1, real: true },
  contextSalient: { default: 0.8, min: 0, max: 1, real: true },
  distractorSalient: { default: 0.2, min: 0, max: 1, real: true },
  missingClass: { default: 0.2, min: 0, max: 1, real: true },
  missingObject: { default: 0.3, min: 0, max: 1, real: true },
  falseCoverage: { default: 0.3, min: 0, max: 1, real: true },
};

/** Options with every default filled in; `classMiss` has one rate per class. */
export type ResolvedSyntheticOptions = Required<SyntheticOptions>;

/** Fill in defaults and check ranges (RangeError: callers validate user input before this). */
export function resolveSyntheticOptions(options: SyntheticOptions = {}): ResolvedSyntheticOptions {
  const resolved = {} as ResolvedSyntheticOptions;
  for (const key of Object.keys(SYNTHETIC_LIMITS) as NumericSyntheticOption[]) {
    const limit = SYNTHETIC_LIMITS[key];
    const value = options[key] ?? limit.default;
    const ok = typeof value === 'number' && Number.isFinite(value) && value >= limit.min && value <= limit.max && (limit.real || Number.isInteger(value));
    if (!ok) throw new RangeError(`synthetic: ${key} = ${value} is not ${limit.real ? 'a number' : 'an integer'} in ${limit.min}..${limit.max}`);
    resolved[key] = value;
  }
  const errors = options.errors ?? 'systematic';
  if (!SALIENCY_ERROR_MODELS.includes(errors)) throw new RangeError(`synthetic: errors = ${errors} is not one of ${SALIENCY_ERROR_MODELS.join(', ')}`);
  resolved.errors = errors;
  const appearance = options.appearance ?? 'whole';
  if (!APPEARANCES.includes(appearance)) throw new RangeError(`synthetic: appearance = ${appearance} is not one of ${APPEARANCES.join(', ')}`);
  resolved.appearance = appearance;
  const classes = CLASS_SHAPES.slice(0, resolved.classes);
  const miss = options.classMiss ?? classes.map((shape) => CLASS_MISS_DEFAULT[shape]);
  const okMiss = Array.isArray(miss) && (miss.length === 1 || miss.length === classes.length) && miss.every((v) => typeof v === 'number' && v >= 0 && v <= 1);
  if (!okMiss) throw new RangeError(`synthetic: classMiss = ${JSON.stringify(miss)} must be one rate in 0..1, or one per class (${classes.length})`);
  resolved.classMiss = classes.map((_, i) => miss[miss.length === 1 ? 0 : i]);
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

/** Draw one image of the synthetic dataset with everything known about it: the scene and the binary saliency too. */
export function generateScene(options: ResolvedSyntheticOptions, split: Split, index: number): { scene: Scene; saliency: SyntheticSaliency } {
  const rng = new Rng(mixSeed(options.seed, SPLITS.indexOf(split), index));
  const scene = drawScene(rng, options.size, options.classes, options.companion, options.appearance);
  return { scene, saliency: makeSaliency(scene, options, rng) };
}

/** Generate one image of the synthetic dataset. */
export function generateSample(options: ResolvedSyntheticOptions, split: Split, index: number): Sample {
  const { scene, saliency } = generateScene(options, split, index);
  const { size } = options;
  return { id: syntheticId(split, index), height: size, width: size, image: scene.image, saliency: saliency.saliency, mask: scene.mask, labels: labelsOfMask(scene.mask), errors: saliency.errors };
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
