/**
 * Checked CLI option values. Every bad value is a one-line UserError naming the flag and
 * what was given (exit code 2), before any work starts.
 */
import { UserError } from '../lib/core/errors.js';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
}

function single(flag: string, raw: unknown): unknown {
  if (Array.isArray(raw)) throw new UserError(`${flag} given more than once`);
  return raw;
}

/** A number option; undefined when absent. */
export function numberOption(flag: string, raw: unknown, rule: NumberRule = {}): number | undefined {
  const v = single(flag, raw);
  if (v === undefined) return undefined;
  const value = typeof v === 'number' ? v : typeof v === 'string' && NUMBER.test(v.trim()) ? Number(v) : NaN;
  const kind = rule.integer ? 'an integer' : 'a number';
  if (!Number.isFinite(value) || (rule.integer && !Number.isInteger(value))) throw new UserError(`${flag} must be ${kind}, got '${String(v)}'`);
  const { min = -Infinity, max = Infinity } = rule;
  if (value < min || value > max) {
    const range = Number.isFinite(max) ? `${min}..${max}` : `>= ${min}`;
    throw new UserError(`${flag} must be ${kind} in ${range}, got ${value}`);
  }
  return value;
}

/** A comma-separated list of numbers, e.g. --scales 1,0.5,1.5. */
export function numberListOption(flag: string, raw: unknown, rule: NumberRule = {}): number[] | undefined {
  const v = single(flag, raw);
  if (v === undefined) return undefined;
  const parts = String(v).split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) throw new UserError(`${flag} must be a comma-separated list of numbers, got '${String(v)}'`);
  return parts.map((p) => numberOption(flag, p, rule)!);
}

/** One of a fixed set of words. */
export function choiceOption<T extends string>(flag: string, raw: unknown, choices: readonly T[]): T | undefined {
  const v = single(flag, raw);
  if (v === undefined) return undefined;
  const s = String(v);
  if (!(choices as readonly string[]).includes(s)) throw new UserError(`${flag} must be one of ${choices.join(', ')}, got '${s}'`);
  return s as T;
}

/** A non-empty string (a path). */
export function stringOption(flag: string, raw: unknown): string | undefined {
  const v = single(flag, raw);
  if (v === undefined) return undefined;
  if (v === true || v === '') throw new UserError(`${flag} needs a value`);
  return String(v);
}

export function requireOption<T>(flag: string, value: T | undefined, command: string): T {
  if (value === undefined) throw new UserError(`${command} needs ${flag}`);
  return value;
}

/** An on/off flag (`--pamr`): true when given, false when absent; it takes no value. */
export function flagOption(flag: string, raw: unknown): boolean {
  if (Array.isArray(raw)) throw new UserError(`${flag} given more than once`);
  if (raw === undefined || raw === false) return false;
  if (raw !== true) throw new UserError(`${flag} takes no value, got '${String(raw)}'`);
  return true;
}
