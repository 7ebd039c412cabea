/**
 * The configuration of `epsx run`: every option, its default, the --quick preset, and the
 * merge order defaults < --quick < config file < command line. Validated in one place.
 */
import { BACKEND_NAMES } from '../core/backend.js';
import { UserError } from '../core/errors.js';
import { DEFAULT_MAX_PIXELS, MAX_IMAGE_PIXELS } from '../data/size-limit.js';
import { SYNTHETIC_LIMITS, resolveSyntheticOptions, type NumericSyntheticOption, type SyntheticOptions } from '../data/synthetic.js';
import { classifierTrainDefaults, defaultWarmupEpochs, METHODS, WARMUP_LOSSES, type ClassifierTrainConfig, type Method, type WarmupLoss } from '../train/classifier.js';
import { segmenterTrainDefaults, type SegmenterTrainConfig } from '../train/segmenter.js';

/** Pseudo-mask options: classifier input scales (each also flipped), the constant background score, and PAMR refinement. */
export interface PseudoConfig {
  scales: number[];
  threshold: number;
  /** Refine the pseudo-masks with PAMR on the full image. */
  pamr: boolean;
}

/** An epoch count, or 'auto': the stage's budget sized to the training set (see resolveBudgets). */
export type Epochs = number | 'auto';

/**
 * What 'auto' epochs give a stage: at least `epochs` passes and at least `images` training images
 * seen. The default synthetic set (1000 train images) gets exactly `epochs`; a smaller set gets
 * more passes, so a small real dataset is not left under-trained. Sized by mIoU within the time
 * budget of a default run on 2 cores: on the default set, seeds 0,1,2 (README), 6 classifier epochs
 * against 3 lift eps++ pseudo-masks 0.616 -> 0.630 raw and WSSS 0.781 -> 0.792 (the run 127 s -> 163 s);
 * on the real-photo set (600 images, seed 0), cam + PAMR pseudo-masks 0.333 / 0.367 / 0.405 after 3 / 6 / 12
 * epochs, and the fully supervised segmenter (val) 0.261 -> 0.282 from 2 to 10 epochs (docs/method.md#training-budgets).
 */
export const AUTO_BUDGETS = {
  classifier: { epochs: 6, images: 6000 },
  segmenter: { epochs: 2, images: 2000 },
} as const;

/** 'auto' epochs of `stage` for a training set of `trainImages` images. */
export function autoEpochs(stage: keyof typeof AUTO_BUDGETS, trainImages: number): number {
  const { epochs, images } = AUTO_BUDGETS[stage];
  return Math.max(epochs, Math.ceil(images / Math.max(1, trainImages)));
}

/** The classifier options of a run (epochs and warm-up may be 'auto': the warm-up is then two thirds of the epochs). */
export type RunClassifierConfig<E = Epochs> = Omit<ClassifierTrainConfig, 'method' | 'seed' | 'epochs' | 'warmupEpochs'> & { epochs: E; warmupEpochs: E };
/** The segmenter options of a run (epochs may be 'auto'). */
export type RunSegmenterConfig<E = Epochs> = Omit<SegmenterTrainConfig, 'seed' | 'epochs'> & { epochs: E };

/**
 * Every option of `epsx run` (see runDefaults); check it with validateRunConfig. E is how
 * epochs are given: 'auto' allowed (what a user writes), or numbers only (ResolvedRunConfig,
 * what the stages and the run folder's config.json hold).
 */
export interface RunConfig<E = Epochs> {
  /** Run folder name under `out`. */
  name: string;
  out: string;
  /** VOC-layout dataset folder, or null for the built-in synthetic dataset. */
  data: string | null;
  synthetic: SyntheticOptions;
  method: Method;
  /** cam, eps and eps++ side by side, plus the fully-supervised bound. */
  ablation: boolean;
  /** Train and report the fully-supervised bound T (true masks only). */
  fullBound: boolean;
  /** SSSS: true masks for this fraction of train images, pseudo-masks for the rest (trained beside WSSS; null: WSSS only). */
  labeledFraction: number | null;
  backend: string;
  seed: number;
  /** Backbone width (channels of the first stage). */
  width: number;
  classifier: RunClassifierConfig<E>;
  segmenter: RunSegmenterConfig<E>;
  pseudo: PseudoConfig;
  /** Images per split shown as panels in the report. */
  panels: number;
  /** Dataset images with more pixels are downscaled when loaded (absent in runs made before it existed: the default). */
  maxPixels: number;
}

/**
 * Defaults of `epsx run`: synthetic data (1000 train, 200 val, 64 px, 6 classes), eps++, width 16,
 * the fully-supervised bound, pseudo-mask scales [1, 0.5, 1.5] with background 0.2, refined by PAMR.
 */
export const runDefaults: RunConfig = {
  name: '',
  out: 'runs',
  data: null,
  // Every generator option at its default, so that a config file may set any of them
  // (classMiss undefined: the per-class defaults of the classes drawn).
  synthetic: {
    ...(Object.fromEntries(Object.entries(SYNTHETIC_LIMITS).map(([k, v]) => [k, v.default])) as Record<NumericSyntheticOption, number>),
    errors: 'systematic',
    appearance: 'whole',
    classMiss: undefined,
  },
  method: 'eps++',
  ablation: false,
  fullBound: true,
  labeledFraction: null,
  backend: 'auto',
  seed: 0,
  width: 16,
  // Epochs sized to the training set (AUTO_BUDGETS): on the default set 6 classifier epochs
  // (the IRD in the last 2), then 2 per segmenter, which start from the classifier's backbone.
  classifier: { ...(({ method: _m, seed: _s, ...rest }) => rest)(classifierTrainDefaults), epochs: 'auto', warmupEpochs: 'auto' },
  segmenter: { ...(({ seed: _s, ...rest }) => rest)(segmenterTrainDefaults), epochs: 'auto' },
  // PAMR refinement on: it lifts every method's pseudo-masks. Measured (train split, seed 0): on the
  // random-error set, 6 classifier epochs, cam 0.54 -> 0.93, eps 0.69 -> 0.96; on the systematic
  // default set, 500 images x 4 epochs, eps 0.577 -> 0.768, eps++ 0.563 -> 0.727.
  pseudo: { scales: [1, 0.5, 1.5], threshold: 0.2, pamr: true },
  panels: 4,
  maxPixels: DEFAULT_MAX_PIXELS,
};

/** A run config whose epoch counts are all numbers: what the stages and a run folder's config.json hold. */
export type ResolvedRunConfig = RunConfig<number>;

/** `config` with every 'auto' epoch count made a number for a training set of `trainImages` images. */
export function resolveBudgets(config: RunConfig, trainImages: number): ResolvedRunConfig {
  const { classifier: c, segmenter: s } = config;
  const clsEpochs = c.epochs === 'auto' ? autoEpochs('classifier', trainImages) : c.epochs;
  return {
    ...config,
    classifier: { ...c, epochs: clsEpochs, warmupEpochs: c.warmupEpochs === 'auto' ? defaultWarmupEpochs(clsEpochs) : c.warmupEpochs },
    segmenter: { ...s, epochs: s.epochs === 'auto' ? autoEpochs('segmenter', trainImages) : s.epochs },
  };
}

/** One line on what 'auto' epochs became, or '' when the config names every count. */
export function budgetNote(config: RunConfig, resolved: ResolvedRunConfig, trainImages: number): string {
  const parts: string[] = [];
  if (config.classifier.epochs === 'auto') parts.push(`classifier ${resolved.classifier.epochs} epochs`);
  if (config.classifier.warmupEpochs === 'auto' && config.method === 'eps++') parts.push(`IRD after ${+resolved.classifier.warmupEpochs.toFixed(2)}`);
  if (config.segmenter.epochs === 'auto') parts.push(`segmenters ${resolved.segmenter.epochs} epochs`);
  if (parts.length === 0) return '';
  const { classifier: c, segmenter: s } = AUTO_BUDGETS;
  return `budget for ${trainImages} train images: ${parts.join(', ')} (auto: at least ${c.epochs} and ${s.epochs} passes, ${c.images} and ${s.images} images seen)`;
}

/** A tiny configuration for smoke tests: seconds, not minutes. Numbers are not meaningful. */
export const quickPreset: DeepPartial<RunConfig> = {
  synthetic: { train: 16, val: 8, size: 32 },
  width: 4,
  classifier: { epochs: 1, batchSize: 4, pamrIterations: 2, warmupEpochs: 0.5 },
  segmenter: { epochs: 1, batchSize: 4 },
  pseudo: { scales: [1] },
  panels: 2,
};

/** T with every field optional at every depth (arrays are replaced whole): what mergeConfig takes. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Merge `patch` into `base`, refusing keys that base does not have (typos in config files). */
export function mergeConfig<T>(base: T, patch: unknown, source: string, path = ''): T {
  if (patch === undefined) return base;
  if (!isPlainObject(patch)) throw new UserError(`${source}: ${path || 'config'} must be an object`);
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch)) {
    const where = path ? `${path}.${key}` : key;
    if (!(key in out)) throw new UserError(`${source}: unknown option '${where}'`);
    const current = out[key];
    out[key] = isPlainObject(current) && value !== null ? mergeConfig(current, value, source, where) : value;
  }
  return out as T;
}

type Check = [string, (v: unknown) => boolean, string];
const posInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
const nonNegInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const positive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
const unit = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1;
const posList = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every(positive);
const bool = (v: unknown) => typeof v === 'boolean';
const nonEmpty = (v: unknown) => typeof v === 'string' && v.trim() !== '';
const auto = (rule: (v: unknown) => boolean) => (v: unknown) => v === 'auto' || rule(v);
/** Augmentation: null (off) or a rescale range 0 < lo <= hi <= 4, a crop (null: from the data, a side, or [h, w]), a flip switch and a colour jitter strength in [0, 1). */
const augment = (v: unknown) => {
  if (v === null) return true;
  if (!isPlainObject(v)) return false;
  const { scale, flip, crop, color } = v;
  const range = Array.isArray(scale) && scale.length === 2 && scale.every(positive) && scale[0] <= scale[1] && scale[1] <= 4;
  const cropOk = crop === undefined || crop === null || posInt(crop) || (Array.isArray(crop) && crop.length === 2 && crop.every(posInt));
  const colorOk = color === undefined || (typeof color === 'number' && color >= 0 && color < 1);
  return (scale === undefined || range) && (flip === undefined || bool(flip)) && cropOk && colorOk;
};
const AUGMENT_RULE = 'null or { "scale": [lo, hi] with 0 < lo <= hi <= 4, "crop": null, a side or [h, w], "flip": true or false, "color": a number in [0, 1) }';
/** Check every field's type and range; the message names the option and the value. */
export function validateRunConfig<C extends RunConfig>(c: C, source: string): C {
  const get = (path: string) => path.split('.').reduce<unknown>((o, k) => (isPlainObject(o) ? o[k] : undefined), c);
  const checks: Check[] = [
    ['name', (v) => typeof v === 'string' && /^[^/\\]*$/.test(v) && v !== '.' && v !== '..', 'a folder name (no slashes)'],
    ['out', nonEmpty, 'a folder path'],
    ['data', (v) => v === null || nonEmpty(v), 'a dataset folder path or null'],
    ['backend', (v) => (BACKEND_NAMES as readonly unknown[]).includes(v), `one of ${BACKEND_NAMES.join(', ')}`],
    ['ablation', bool, 'true or false'],
    ['fullBound', bool, 'true or false'],
    ['synthetic', isPlainObject, 'an object'],
    ['classifier', isPlainObject, 'an object'],
    ['segmenter', isPlainObject, 'an object'],
    ['pseudo', isPlainObject, 'an object'],
    ['method', (v) => METHODS.includes(v as Method), `one of ${METHODS.join(', ')}`],
    ['seed', nonNegInt, 'an integer >= 0'],
    ['width', posInt, 'an integer >= 1'],
    ['labeledFraction', (v) => v === null || (typeof v === 'number' && v > 0 && v <= 1), 'a number in (0, 1] or null'],
    ['panels', nonNegInt, 'an integer >= 0'],
    ['maxPixels', (v) => v === undefined || (posInt(v) && (v as number) <= MAX_IMAGE_PIXELS), `an integer in 1..${MAX_IMAGE_PIXELS}`],
    ['classifier.epochs', auto(posInt), "an integer >= 1 or \"auto\""],
    ['classifier.batchSize', posInt, 'an integer >= 1'],
    ['classifier.lr', positive, 'a positive number'],
    ['classifier.momentum', unit, 'a number in [0, 1]'],
    ['classifier.weightDecay', (v) => typeof v === 'number' && v >= 0, 'a number >= 0'],
    ['classifier.tau', unit, 'a number in [0, 1]'],
    ['classifier.lambda', unit, 'a number in [0, 1]'],
    ['classifier.pamrDilations', (v) => Array.isArray(v) && v.length > 0 && v.every(posInt), 'a list of integers >= 1'],
    ['classifier.pamrIterations', posInt, 'an integer >= 1'],
    ['classifier.warmupEpochs', auto((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0), 'a number of epochs >= 0 or "auto"'],
    ['classifier.warmupLoss', (v) => WARMUP_LOSSES.includes(v as WarmupLoss), `one of ${WARMUP_LOSSES.join(', ')}`],
    ['classifier.augment', augment, AUGMENT_RULE],
    ['segmenter.epochs', auto(posInt), "an integer >= 1 or \"auto\""],
    ['segmenter.batchSize', posInt, 'an integer >= 1'],
    ['segmenter.lr', positive, 'a positive number'],
    ['segmenter.momentum', unit, 'a number in [0, 1]'],
    ['segmenter.weightDecay', (v) => typeof v === 'number' && v >= 0, 'a number >= 0'],
    ['segmenter.labeledWeight', positive, 'a positive number'],
    ['segmenter.augment', augment, AUGMENT_RULE],
    ['pseudo.scales', posList, 'a list of positive numbers'],
    ['pseudo.threshold', unit, 'a number in [0, 1]'],
    ['pseudo.pamr', (v) => typeof v === 'boolean', 'true or false'],
  ];
  for (const [path, ok, what] of checks) {
    const v = get(path);
    if (!ok(v)) throw new UserError(`${source}: '${path}' must be ${what}, got ${JSON.stringify(v)}`);
  }
  try {
    resolveSyntheticOptions(c.synthetic);
  } catch (e) {
    throw new UserError(`${source}: ${(e as Error).message}`);
  }
  return c;
}
