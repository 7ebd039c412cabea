/** Shared helpers for the CLI suites (not a suite itself: no .test.ts suffix). */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { synthetic, writeVocDataset } from '../../lib/data/index.js';
import { runCli } from '../../cli/app.js';

export { cleanup, tempDir } from '../data/helpers.js';

const root = new URL('../..', import.meta.url).pathname;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Run `epsx ARGS...` in a child process, as a user would. */
export function epsx(...args: string[]): Run {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Run `epsx ARGS...` in this process (for error cases: no process start-up, so many stay cheap).
 * Only what the CLI writes as its error report is captured; stdout is empty by construction.
 */
export async function epsxInProcess(...args: string[]): Promise<Run> {
  const t0 = performance.now();
  let stderr = '';
  const code = await runCli(['node', 'epsx', ...args], (text) => (stderr += text));
  return { code, stdout: '', stderr, seconds: (performance.now() - t0) / 1000 };
}

/** Assert a clean success; returns stdout. */
export function ok(r: Run, what: string): string {
  assert.is(r.code, 0, `${what} failed:\n${r.stderr}`);
  return r.stdout;
}

/** Assert a user error: exit code 2, one `epsx: ...` line containing every fragment, no stack trace. */
export function userError(r: Run, ...fragments: string[]): void {
  const text = r.stderr.trim();
  assert.is(r.code, 2, `expected exit code 2, got ${r.code}: ${r.stderr}`);
  assert.is(text.split('\n').length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.ok(text.startsWith('epsx: ') && !text.startsWith('epsx: internal error'), text);
  assert.not.match(text, /\bat .*:\d+:\d+/, 'no stack trace');
  for (const f of fragments) assert.ok(text.includes(f), `"${text}" should mention "${f}"`);
}

/** The tiny synthetic dataset the suites train on: 8 train + 4 val images, 32x32, 3 classes. */
export const TINY = { train: 8, val: 4, size: 32, classes: 3, seed: 5 } as const;

export function writeTinyDataset(dir: string): string {
  writeVocDataset(dir, synthetic(TINY));
  return dir;
}

/** Settings that keep a CLI training run to about a second. */
export const TINY_TRAINING = ['--epochs', '1', '--batch-size', '4', '--width', '4'];

/** Every file under `dir` (relative paths, sorted): to check that nothing stray was left behind. */
export function filesUnder(dir: string): string[] {
  const walk = (d: string, prefix: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
  return walk(dir, '').sort();
}
