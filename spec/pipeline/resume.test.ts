/**
 * SIGINT during classifier training saves resumable state and exits 130; `--resume` then
 * finishes with exactly the metrics of an uninterrupted run with the same seed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('../..', import.meta.url).pathname;
const tsx = import.meta.resolve('tsx');
const work = mkdtempSync(join(tmpdir(), 'epsx-resume-'));
const args = (name: string) => ['--import', tsx, join(root, 'cli/main.ts'), 'run', '--quick', '--cls-epochs', '4', '--name', name];
const metrics = (name: string) => {
  const m = JSON.parse(readFileSync(join(work, 'runs', name, 'metrics.json'), 'utf8'));
  delete m.timings;
  delete m.seconds;
  return m;
};
const classifierSteps = (name: string) => {
  const log = join(work, 'runs', name, 'log.jsonl');
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"classifier (eps++)"')).length : 0;
};

test('interrupt, resume, and compare with an uninterrupted run', async () => {
  const straight = spawnSync(process.execPath, args('straight'), { cwd: work, encoding: 'utf8' });
  assert.is(straight.status, 0, straight.stderr);

  const child = spawn(process.execPath, args('cut'), { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
  // interrupt once a few classifier steps are logged (16 steps in all)
  const deadline = Date.now() + 60_000;
  while (classifierSteps('cut') < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGINT');
  const code = await exit;
  assert.is(code, 130, stderr);
  assert.match(stderr, /interrupted at epoch \d+, batch \d+; state saved; continue with: epsx run --resume/);
  assert.ok(existsSync(join(work, 'runs', 'cut', 'checkpoints', 'classifier-epspp.train-state.safetensors')));
  assert.not.ok(existsSync(join(work, 'runs', 'cut', 'metrics.json')), 'interrupted before the end');
  const cutAt = classifierSteps('cut');
  assert.ok(cutAt < 16, `interrupted mid-training (${cutAt} steps)`);

  const resumed = spawnSync(process.execPath, [...args('cut'), '--resume'], { cwd: work, encoding: 'utf8' });
  assert.is(resumed.status, 0, resumed.stderr);
  assert.equal(metrics('cut'), metrics('straight'));
  assert.is(classifierSteps('cut'), 16, 'log reads as one run: every step once');
  assert.not.ok(existsSync(join(work, 'runs', 'cut', 'checkpoints', 'classifier-epspp.train-state.safetensors')), 'state removed once finished');
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
