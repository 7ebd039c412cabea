/**
 * Several seeds: meanAndSpread over metrics-shaped values, and `epsx run --seeds` end to end
 * (a complete run per seed, the parent's metrics.json and report with mean ± std).
 */
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { meanAndSpread } from '../../lib/pipeline/seeds.js';

test('meanAndSpread: mean and sample std of each number at the same place, NaN/null left out', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 1, maxLength: 6 }), (pairs) => {
      const values = pairs.map(([a, b]) => ({ x: { mIoU: a, perClass: [b, null] }, t: a }));
      const { mean, std } = meanAndSpread(values) as { mean: any; std: any };
      const as = pairs.map(([a]) => a);
      const m = as.reduce((s, v) => s + v, 0) / as.length;
      const sd = as.length > 1 ? Math.sqrt(as.reduce((s, v) => s + (v - m) ** 2, 0) / (as.length - 1)) : 0;
      assert.ok(Math.abs(mean.x.mIoU - m) < 1e-9 && Math.abs(std.x.mIoU - sd) < 1e-9 && mean.t === mean.x.mIoU);
      assert.ok(Math.abs(mean.x.perClass[0] - pairs.reduce((s, [, b]) => s + b, 0) / pairs.length) < 1e-9);
      assert.ok(Number.isNaN(mean.x.perClass[1]), 'a place with no number is NaN');
    }),
  );
  const { mean, std } = meanAndSpread([{ a: 1, only: 4, t: [{ type: 'none', n: 1 }] }, { a: 3, t: [{ type: 'none', n: 2 }] }]) as { mean: any; std: any };
  assert.equal(mean, { a: 2, only: 4, t: [{ type: 'none', n: 1.5 }] }, 'a place missing in some runs is averaged over the others; labels are kept');
  assert.is(std.t[0].type, 'none');
});

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'epsx-seeds-'));
const tsx = import.meta.resolve('tsx');
const epsx = (...args: string[]) => spawnSync(process.execPath, ['--import', tsx, join(root, 'cli/main.ts'), ...args], { cwd: work, encoding: 'utf8' });

test('epsx run --seeds 0,1: a run per seed, then the mean and spread of every figure', () => {
  const r = epsx('run', '--quick', '--no-full-bound', '--panels', '0', '--seeds', '0,1', '--name', 's');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /mean ± std over seeds 0, 1/);
  assert.match(r.stdout, /pseudo-masks epspp-pamr\s+train mIoU \d+\.\d ± \d+\.\d/);
  const dir = join(work, 'runs', 's');
  const runs = [0, 1].map((s) => JSON.parse(readFileSync(join(dir, `seed-${s}`, 'metrics.json'), 'utf8')));
  const m = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
  assert.equal(m.seeds, [0, 1]);
  assert.equal(m.runs['1'], runs[1]);
  const [a, b] = runs.map((x) => x.segmenter.wsss.mIoU);
  assert.ok(Math.abs(m.mean.segmenter.wsss.mIoU - (a + b) / 2) < 1e-12);
  assert.ok(Math.abs(m.std.segmenter.wsss.mIoU - Math.abs(a - b) / Math.SQRT2) < 1e-12);
  assert.ok(typeof m.mean.ird.epspp.recall === 'number', 'the IRD match is aggregated too');
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, /mean ± std over 2 seeds/);
  assert.match(html, /What IRD drops/);
  assert.match(html, /<th>missing class dropped<\/th>/, 'the error types name their columns');
  assert.ok(existsSync(join(dir, 'seed-0', 'report.html')));
  const again = epsx('run', '--quick', '--seeds', '0,1', '--name', 's');
  assert.is(again.status, 2);
  assert.match(again.stderr, /already holds a multi-seed run/);
  for (const [args, message] of [[['--seeds', '0,0'], 'give distinct seeds'], [['--seeds', '0,1', '--seed', '1'], '--seed and --seeds cannot be combined'], [['--seeds', '0,x'], '--seeds must be an integer']] as const) {
    const bad = epsx('run', '--quick', ...args, '--name', 'bad');
    assert.is(bad.status, 2, bad.stderr);
    assert.ok(bad.stderr.includes(message), bad.stderr);
    assert.not.ok(existsSync(join(work, 'runs', 'bad')), 'nothing written');
  }
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
