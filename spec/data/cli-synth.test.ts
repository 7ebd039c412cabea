import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openVocDataset } from '../../lib/data/index.js';
import { cleanup, tempDir } from './helpers.js';

const root = new URL('../..', import.meta.url).pathname;

function epsx(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bad options exit with code 2, a one-line message, and write nothing', () => {
  const out = join(tempDir(), 'never');
  const cases: Array<[string[], string]> = [
    [['--train', 'abc'], "epsx: --train must be an integer, got 'abc'"],
    [['--classes', '9'], 'epsx: --classes must be an integer in 1..8, got 9'],
    [['--missing-object=-0.5'], 'epsx: --missing-object must be a number in 0..1, got -0.5'],
    [['--size', '64', '--size', '32'], 'epsx: --size given more than once'],
    [['--errors', 'sometimes'], "epsx: --errors must be one of systematic, random, got 'sometimes'"],
    [['--classes', '3', '--class-miss', '0.1,0.2'], 'epsx: --class-miss needs one rate or one per class (3), got 2'],
    [['--class-miss', '0.1,x'], "epsx: --class-miss must be a number, got 'x'"],
  ];
  for (const [args, message] of cases) {
    const r = epsx('synth', '--out', out, ...args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.includes(message), r.stderr);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.not.ok(existsSync(out));
  }
  const noOut = epsx('synth', '--train', '3');
  assert.is(noOut.code, 2);
  assert.match(noOut.stderr, /--out DIR/);
});

test('an --out that is a file is a user error naming it', () => {
  const file = join(tempDir(), 'plain-file');
  writeFileSync(file, 'x');
  const r = epsx('synth', '--out', file, '--train', '2', '--val', '0', '--size', '32');
  assert.is(r.code, 2, r.stderr);
  assert.ok(r.stderr.includes(file), r.stderr);
});

test('synth writes a readable folder and prints the summary', () => {
  const out = join(tempDir(), 'ds');
  const r = epsx('synth', '--out', out, '--train', '6', '--val', '2', '--size', '32', '--classes', '3', '--seed', '4', '--class-miss', '0.1,0.2,0.9');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /6 train \+ 2 val images, 32x32, 3 classes, seed 4/);
  assert.match(r.stdout, /disc\s+train/);
  assert.match(r.stdout, /systematic model/);
  assert.match(r.stdout, /missing class triangle\s+0\.90 ->/);
  assert.match(r.stdout, /context salient\s+0\.80 ->/);
  assert.match(r.stdout, /precision \d\.\d{3}, recall \d\.\d{3}/);
  const ds = openVocDataset(out);
  assert.equal(ds.classes, ['disc', 'square', 'triangle']);
  assert.is(ds.ids('train').length, 6);
  assert.ok(ds.load('val_00001').errors?.pixels);
  assert.ok(existsSync(join(out, 'synthetic.json')));

  const random = epsx('synth', '--out', join(tempDir(), 'random'), '--train', '4', '--val', '0', '--size', '32', '--errors', 'random', '--missing-class', '0.5');
  assert.is(random.code, 0, random.stderr);
  assert.match(random.stdout, /random model/);
  assert.match(random.stdout, /missing class\s+0\.50 ->/);
});

test.after(cleanup);
test.run();
