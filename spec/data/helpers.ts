/** Shared helpers for the data test suites (not a suite itself: no .test.ts suffix). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { UserError } from '../../lib/core/errors.js';
import type { Sample } from '../../lib/data/index.js';

/** A fresh temporary folder; `cleanup` removes every folder made so far. */
const made: string[] = [];
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'epsx-data-'));
  made.push(dir);
  return dir;
}
export function cleanup(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Assert that `fn` throws a one-line UserError whose message contains every fragment (a string, or a pattern it matches). */
export function throwsUserError(fn: () => unknown, ...fragments: Array<string | RegExp>): string {
  try {
    fn();
  } catch (e) {
    assert.instance(e, UserError, `expected a UserError, got ${(e as Error).name}: ${(e as Error).message}`);
    const message = (e as Error).message;
    assert.not.match(message, /\n/, 'message is one line');
    for (const f of fragments) assert.ok(typeof f === 'string' ? message.includes(f) : f.test(message), `message "${message}" should contain ${f}`);
    return message;
  }
  assert.unreachable('expected a UserError');
  return '';
}

/** A small sample with random-ish content from a seed (no generator involved). */
export function makeSample(id: string, height: number, width: number, numClasses: number, seed: number): Sample {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const plane = height * width;
  const mask = Uint8Array.from({ length: plane }, () => {
    const r = next();
    return r < 0.05 ? 255 : Math.floor(next() * (numClasses + 1));
  });
  const labels = [...new Set(Array.from(mask).filter((v) => v > 0 && v !== 255))].sort((a, b) => a - b);
  return {
    id,
    height,
    width,
    image: Float32Array.from({ length: 3 * plane }, next),
    saliency: Float32Array.from({ length: plane }, next),
    mask,
    labels,
  };
}
