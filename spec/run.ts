/**
 * Test runner: every spec/**\/*.test.ts is a standalone uvu suite run in its own Node process,
 * two at a time (the CI machine has two cores). Prints each file's outcome and a final
 * `N passed, N failed` line; exits non-zero on any failure. Pass substrings to filter files.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function findTests(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return findTests(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

interface Outcome { file: string; passed: number; failed: number; skipped: number; ms: number; output: string; code: number | null }

function runFile(file: string): Promise<Outcome> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => {
      const num = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(output)?.[1] ?? NaN);
      const total = num('Total'), passed = num('Passed'), skipped = num('Skipped');
      const counted = Number.isFinite(total) && Number.isFinite(passed);
      // A crash before uvu's summary counts as one failure.
      const failed = counted ? total - passed - (skipped || 0) : 1;
      resolve({ file, passed: counted ? passed : 0, failed: failed === 0 && code !== 0 ? 1 : failed, skipped: skipped || 0, ms: Date.now() - t0, output, code });
    });
  });
}

const filters = process.argv.slice(2);
const files = findTests(join(root, 'spec'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
const queue = [...files];
const outcomes: Outcome[] = [];
const workers = Math.max(1, Math.min(2, availableParallelism()));

await Promise.all(
  Array.from({ length: workers }, async () => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
      const o = await runFile(f);
      outcomes.push(o);
      const name = relative(root, o.file);
      const status = o.failed > 0 ? 'FAIL' : 'ok  ';
      console.log(`${status} ${name}  ${o.passed} passed, ${o.failed} failed (${(o.ms / 1000).toFixed(1)}s)`);
      if (o.failed > 0) console.log(o.output.replace(/^/gm, '     | '));
    }
  }),
);

const passed = outcomes.reduce((s, o) => s + o.passed, 0);
const failed = outcomes.reduce((s, o) => s + o.failed, 0);
const skipped = outcomes.reduce((s, o) => s + o.skipped, 0);
if (files.length === 0) console.log('no test files found');
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
