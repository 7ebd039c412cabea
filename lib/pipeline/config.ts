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

/** The default run's classifier budget (see runDefaults.classifier). */
const CLASSIFIER_EPOCHS = 6;

/** Every option of `epsx run` (see runDefaults); check it with validateRunConfig. */
export interface RunConfig {
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
  classifier: Omit<ClassifierTrainConfig, 'method' | 'seed'>;
  segmenter: Omit<SegmenterTrainConfig, 'seed'>;
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
  // Epochs sized by mIoU within the time budget of a default run on 2 cores (at most 3 minutes):
  // 6 classifier epochs (the IRD in the last 2), then 2 per segmenter, which start from the
  // classifier's backbone. 6 against 3 classifier epochs, seeds 0,1,2 (README): eps++ pseudo-masks
  // 0.630 vs 0.616 raw, WSSS 0.792 vs 0.781; the run 163 s vs 127 s.
  classifier: { ...(({ method: _m, seed: _s, ...rest }) => rest)(classifierTrainDefaults), epochs: CLASSIFIER_EPOCHS, warmupEpochs: defaultWarmupEpochs(CLASSIFIER_EPOCHS) },
  segmenter: { ...(({ seed: _s, ...rest }) => rest)(segmenterTrainDefaults), epochs: 2 },
  // PAMR refinement on: it lifts every method's pseudo-masks. Measured (train split, seed 0): on the
  // random-error set, 6 classifier epochs, cam 0.54 -> 0.93, eps 0.69 -> 0.96; on the systematic
  // default set, 500 images x 4 epochs, eps 0.577 -> 0.768, eps++ 0.563 -> 0.727.
  pseudo: { scales: [1, 0.5, 1.5], threshold: 0.2, pamr: true },
  panels: 4,
  maxPixels: DEFAULT_MAX_PIXELS,
};

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
/** Augmentation: null (off) or a rescale range 0 < lo <= hi <= 4, a crop (null: from the data, a side, or [h, w]) and a flip switch. */
const augment = (v: unknown) => {
  if (v === null) return true;
  if (!isPlainObject(v)) return false;
  const { scale, flip, crop } = v;
  const range = Array.isArray(scale) && scale.length === 2 && scale.every(positive) && scale[0] <= scale[1] && scale[1] <= 4;
  const cropOk = crop === undefined || crop === null || posInt(crop) || (Array.isArray(crop) && crop.length === 2 && crop.every(posInt));
  return (scale === undefined || range) && (flip === undefined || bool(flip)) && cropOk;
};
/** Check every field's type and range; the message names the option and the value. */
export function validateRunConfig(c: RunConfig, source: string): RunConfig {
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
    ['classifier.epochs', posInt, 'an integer >= 1'],
    ['classifier.batchSize', posInt, 'an integer >= 1'],
    ['classifier.lr', positive, 'a positive number'],
    ['classifier.momentum', unit, 'a number in [0, 1]'],
    ['classifier.weightDecay', (v) => typeof v === 'number' && v >= 0, 'a number >= 0'],
    ['classifier.tau', unit, 'a number in [0, 1]'],
    ['classifier.lambda', unit, 'a number in [0, 1]'],
    ['classifier.pamrDilations', (v) => Array.isArray(v) && v.length > 0 && v.every(posInt), 'a list of integers >= 1'],
    ['classifier.pamrIterations', posInt, 'an integer >= 1'],
    ['classifier.warmupEpochs', (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0, 'a number of epochs >= 0'],
    ['classifier.warmupLoss', (v) => WARMUP_LOSSES.includes(v as WarmupLoss), `one of ${WARMUP_LOSSES.join(', ')}`],
    ['classifier.augment', augment, 'null or { "scale": [lo, hi] with 0 < lo <= hi <= 4, "crop": null, a side or [h, w], "flip": true or false }'],
    ['segmenter.epochs', posInt, 'an integer >= 1'],
    ['segmenter.batchSize', posInt, 'an integer >= 1'],
    ['segmenter.lr', positive, 'a positive number'],
    ['segmenter.momentum', unit, 'a number in [0, 1]'],
    ['segmenter.weightDecay', (v) => typeof v === 'number' && v >= 0, 'a number >= 0'],
    ['segmenter.labeledWeight', positive, 'a positive number'],
    ['segmenter.augment', augment, 'null or { "scale": [lo, hi] with 0 < lo <= hi <= 4, "crop": null, a side or [h, w], "flip": true or false }'],
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
