/**
 * Ctrl-C (SIGINT) through the real process: `epsx run` during segmenter training, and
 * `epsx train-cls` / `epsx train-seg` mid-training, each exit with 130 and end with one
 * `epsx: ...` line; run says how to resume and --resume finishes the run; train-* leave no
 * checkpoint, complete or partial (an earlier one at --out stays as it was).
 * The three interrupted commands run side by side to keep the suite short.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { saveCheckpoint } from '../../lib/checkpoint.js';
import { Classifier } from '../../models/index.js';
import { TINY, cleanup, filesUnder, tempDir, writeTinyDataset } from '../cli/helpers.js';

const root = new URL('../..', import.meta.url).pathname;
const work = tempDir();
const data = writeTinyDataset(join(work, 'data'));
const epsxArgs = (...args: string[]) => ['--import', import.meta.resolve('tsx'), join(root, 'cli/main.ts'), ...args];

const lines = (path: string, pattern = /./) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => pattern.test(l)).length : 0);

/** Start `epsx ARGS`, send SIGINT once `ready()` holds, and collect the exit code and stderr. */
async function interrupt(args: string[], ready: () => boolean): Promise<{ code: number | null; stderr: string; last: string }> {
  const child = spawn(process.execPath, epsxArgs(...args), { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
  const deadline = Date.now() + 90_000;
  while (!ready() && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGINT');
  const code = await exit;
  const last = stderr.trim().split('\n').pop() ?? '';
  return { code, stderr, last };
}

test('Ctrl-C: epsx run in segmenter training (then --resume), train-cls and train-seg mid-training', async () => {
  const runLog = join(work, 'runs', 'cut', 'log.jsonl');
  const clsOut = join(work, 'cls.safetensors');
  saveCheckpoint(clsOut, new Classifier({ numClasses: TINY.classes, width: 4 }));
  const clsBefore = readFileSync(clsOut);
  const segOut = join(work, 'seg.safetensors');
  const many = ['--batch-size', '2', '--width', '4', '--epochs', '50'];

  const [run, cls, seg] = await Promise.all([
    interrupt(['run', '--quick', '--seg-epochs', '6', '--name', 'cut', '--no-full-bound'], () => lines(runLog, /"segmenter \(wsss\)"/) >= 2),
    interrupt(['train-cls', '--data', data, '--out', clsOut, '--log', join(work, 'cls.jsonl'), ...many], () => lines(join(work, 'cls.jsonl')) >= 2),
    interrupt(['train-seg', '--data', data, '--full', '--out', segOut, '--log', join(work, 'seg.jsonl'), ...many], () => lines(join(work, 'seg.jsonl')) >= 2),
  ]);

  assert.is(run.code, 130, run.stderr);
  assert.match(run.last, /^epsx: segmenter \(wsss\) interrupted at epoch \d+, batch \d+; state saved; continue with: epsx run --resume --out runs --name cut$/);
  assert.ok(existsSync(join(work, 'runs', 'cut', 'checkpoints', 'segmenter-wsss.train-state.safetensors')));

  for (const [r, out, log] of [[cls, clsOut, 'cls.jsonl'], [seg, segOut, 'seg.jsonl']] as const) {
    assert.is(r.code, 130, r.stderr);
    assert.match(r.last, new RegExp(`^epsx: interrupted before epoch \\d+, batch \\d+ \\(\\d+ steps done\\); nothing was saved to ${out.replace(/[.]/g, '\\.')} - the checkpoint is written only when training finishes; log .*${log}$`));
    assert.not.match(r.stderr, /internal error|\bat .*:\d+:\d+/);
  }
  assert.ok(readFileSync(clsOut).equals(clsBefore), 'the earlier checkpoint is untouched');
  assert.not.ok(existsSync(segOut), 'no checkpoint');
  assert.not.ok(filesUnder(work).some((f) => f.endsWith('.tmp')), 'no temporary files');

  const resumed = spawnSync(process.execPath, epsxArgs('run', '--resume', '--name', 'cut'), { cwd: work, encoding: 'utf8' });
  assert.is(resumed.status, 0, resumed.stderr);
  assert.ok(existsSync(join(work, 'runs', 'cut', 'metrics.json')));
  assert.not.ok(existsSync(join(work, 'runs', 'cut', 'checkpoints', 'segmenter-wsss.train-state.safetensors')), 'state removed once finished');
});

test.after(cleanup);
test.run();
