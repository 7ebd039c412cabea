/**
 * Model configs: plain JSON-able objects, stored in checkpoints, validated on the way in
 * (from code or from a file) with one-line UserErrors naming the source.
 */
import { UserError } from '../lib/core/errors.js';

/** Backbone shape: width and output stride. */
export interface BackboneConfig {
  /** Channels of the first stage; later stages use 2x and 4x. */
  width: number;
  /** Input size / feature size: 2, 4 or 8 (stages past it dilate instead of striding). */
  outputStride: number;
}

/** The config fields the classifier and the segmenter share. */
export interface CommonConfig extends BackboneConfig {
  /** Foreground classes C (the maps have C+1 channels, background first). */
  numClasses: number;
  /** Seed of the weight initialisation. */
  seed: number;
  /** Learning-rate multiplier of the head (classifier 10, as in EPS; segmenter 1, see segmenterConfig). */
  headLrMult: number;
}

export const backboneDefaults: BackboneConfig = { width: 16, outputStride: 4 };


type Rule = (v: unknown) => boolean;
export const positiveInt: Rule = (v) => Number.isInteger(v) && (v as number) >= 1;
export const nonNegativeInt: Rule = (v) => Number.isInteger(v) && (v as number) >= 0;
export const positive: Rule = (v) => typeof v === 'number' && Number.isFinite(v) && v > 0;
export const oneOf = (...options: unknown[]): Rule => (v) => options.includes(v);

/**
 * Fill defaults, check each field against its rule, and refuse unknown fields.
 * `source` names where the config came from (e.g. "classifier config" or a file).
 */
export function validateConfig<T extends { kind: string }>(
  source: string,
  input: Record<string, unknown>,
  defaults: Omit<T, 'kind'>,
  rules: Record<keyof Omit<T, 'kind'>, [Rule, string]>,
  kind: T['kind'],
): T {
  const out: Record<string, unknown> = { kind, ...defaults };
  for (const [key, value] of Object.entries(input)) {
    if (key === 'kind') {
      if (value !== kind) throw new UserError(`${source}: kind is ${JSON.stringify(value)}, expected "${kind}"`);
      continue;
    }
    if (!(key in rules)) throw new UserError(`${source}: unknown field '${key}'`);
    if (value !== undefined) out[key] = value;
  }
  for (const [key, [ok, what]] of Object.entries(rules) as Array<[string, [Rule, string]]>) {
    if (out[key] === undefined) throw new UserError(`${source}: '${key}' is required`);
    if (!ok(out[key])) throw new UserError(`${source}: '${key}' must be ${what}, got ${JSON.stringify(out[key])}`);
  }
  return out as T;
}

export const commonRules = {
  numClasses: [positiveInt, 'an integer >= 1'],
  width: [positiveInt, 'an integer >= 1'],
  outputStride: [oneOf(2, 4, 8), '2, 4 or 8'],
  seed: [nonNegativeInt, 'an integer >= 0'],
  headLrMult: [positive, 'a positive number'],
} satisfies Record<keyof CommonConfig, [Rule, string]>;
