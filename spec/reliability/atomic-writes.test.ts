/**
 * Atomic writes (lib/atomic.ts): a failing write - full disk mid-file, failing fsync or
 * rename, a parent that is a regular file, a read-only file system - is one line naming the
 * path and the system's reason, leaves an existing file as it was and no temporary behind;
 * a process killed mid-write leaves the old file whole. Then the same through the CLI:
 * train-cls's checkpoint, pseudo's masks, and run's step log (appended, not atomic).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileAtomic } from '../../lib/atomic.js';
import { readCheckpoint, saveCheckpoint } from '../../lib/checkpoint.js';
import { decodePngLabels, openVocDataset } from '../../lib/data/index.js';
import { Classifier } from '../../models/index.js';
import { throwsUserError } from '../data/helpers.js';
import { TINY, TINY_TRAINING, cleanup, epsxInProcess, filesUnder, tempDir, userError, writeTinyDataset } from '../cli/helpers.js';
import { withFault } from './faults.js';

const work = tempDir();
const root = new URL('../..', import.meta.url).pathname;

/** A folder holding `name` with known content. */
function folderWith(name: string, content: string): { dir: string; path: string } {
  const dir = join(tempDir(), 'out');
  mkdirSync(dir);
  const path = join(dir, name);
  writeFileSync(path, content);
  return { dir, path };
}

const tmpOf = (path: string) => new RegExp(`/\\.${path.split('/').pop()!.replace(/\./g, '\\.')}\\.\\d+\\.\\d+\\.tmp$`);

test('a parent that is a regular file, a read-only file system: one line naming the path, nothing created', () => {
  const { dir, path } = folderWith('file.txt', 'x');
  throwsUserError(() => writeFileAtomic(join(path, 'child.json'), '{}'), `cannot write ${join(path, 'child.json')}: ENOTDIR (not a directory)`);
  throwsUserError(() => writeFileAtomic('/proc/epsx-reliability.json', '{}'), 'cannot write /proc/epsx-reliability.json: ENOENT');
  assert.equal(readdirSync(dir), ['file.txt']);
});

for (const [call, code, reason] of [
  ['writeSync', 'ENOSPC', 'no space left on device'],
  ['writeSync', 'EIO', 'i/o error'],
  ['fsyncSync', 'EIO', 'i/o error'],
  ['renameSync', 'EXDEV', 'cross-device link not permitted'],
] as const) {
  test(`${call} failing with ${code}: the old file is kept whole, no temporary is left`, async () => {
    const { dir, path } = folderWith('state.json', '{"old":true}\n');
    await withFault(call, code, call === 'renameSync' ? /state\.json$/ : tmpOf(path), () => {
      const message = throwsUserError(() => writeFileAtomic(path, JSON.stringify({ new: 'x'.repeat(100_000) })), `cannot write ${path}: ${code}`);
      assert.ok(message.toLowerCase().includes(reason), `"${message}" should say "${reason}"`);
    }, 4096);
    assert.is(readFileSync(path, 'utf8'), '{"old":true}\n');
    assert.equal(readdirSync(dir), ['state.json']);
  });
}

test('a process killed in the middle of a write leaves the old file whole', () => {
  const { dir, path } = folderWith('model.safetensors', 'old checkpoint');
  // The child writes half of a 1 MB file, then is killed (SIGKILL: no handler, no cleanup).
  const script = `
    import fs from 'node:fs';
    import { syncBuiltinESMExports } from 'node:module';
    const { writeFileAtomic } = await import(${JSON.stringify(join(root, 'lib/atomic.ts'))});
    const write = fs.writeSync;
    fs.writeSync = (fd, buf, off, len) => { write(fd, buf, off, len >> 1); process.kill(process.pid, 'SIGKILL'); };
    syncBuiltinESMExports();
    writeFileAtomic(${JSON.stringify(path)}, new Uint8Array(1 << 20).fill(7));`;
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.is(r.signal, 'SIGKILL', r.stderr);
  assert.is(readFileSync(path, 'utf8'), 'old checkpoint');
  const others = readdirSync(dir).filter((f) => f !== 'model.safetensors');
  assert.ok(others.every((f) => tmpOf(path).test(`/${f}`)), `only a hidden temporary may remain: ${others}`);
});

test('checkpoints are saved atomically too: a full disk keeps the previous checkpoint loadable', async () => {
  const { path } = folderWith('cls.safetensors', '');
  saveCheckpoint(path, new Classifier({ numClasses: 2, width: 2, seed: 1 }));
  const before = readFileSync(path);
  await withFault('writeSync', 'ENOSPC', tmpOf(path), () => throwsUserError(() => saveCheckpoint(path, new Classifier({ numClasses: 2, width: 2, seed: 2 })), path, 'ENOSPC'), 1000);
  assert.ok(readFileSync(path).equals(before));
  readCheckpoint(path, 'classifier');
});

const data = writeTinyDataset(join(work, 'data'));

test('epsx train-cls: disk full when the checkpoint is written - exit 2, one line naming it, the old checkpoint kept', async () => {
  const out = join(work, 'cls.safetensors');
  saveCheckpoint(out, new Classifier({ numClasses: TINY.classes, width: 4 }));
  const before = readFileSync(out);
  const r = await withFault('writeSync', 'ENOSPC', tmpOf(out), () => epsxInProcess('train-cls', '--data', data, '--out', out, ...TINY_TRAINING), 512);
  userError(r, `epsx: cannot write ${out}: ENOSPC (no space left on device)`);
  assert.ok(readFileSync(out).equals(before), 'the previous checkpoint is untouched');
  assert.not.ok(filesUnder(work).some((f) => f.endsWith('.tmp')), 'no temporary left');
  const parentIsFile = join(out, 'x.safetensors');
  userError(await epsxInProcess('train-cls', '--data', data, '--out', parentIsFile, ...TINY_TRAINING), `--out ${parentIsFile}: ${out} is a file, not a folder`);
});

test('epsx pseudo: a mask write failing part-way - exit 2 naming that mask; masks already written are whole', async () => {
  const ckpt = join(work, 'cls-for-pseudo.safetensors');
  saveCheckpoint(ckpt, new Classifier({ numClasses: TINY.classes, width: 4 }));
  const ids = openVocDataset(data).ids('train');
  const out = join(work, 'pseudo');
  const failing = join(out, `${ids[3]}.png`);
  const r = await withFault('writeSync', 'EIO', tmpOf(failing), () => epsxInProcess('pseudo', '--data', data, '--ckpt', ckpt, '--out', out, '--scales', '1'), 100);
  userError(r, `epsx: cannot write ${failing}: EIO`);
  assert.equal(readdirSync(out).sort(), ids.slice(0, 3).map((id) => `${id}.png`).sort(), 'masks before the failure, and nothing else');
  for (const id of ids.slice(0, 3)) decodePngLabels(readFileSync(join(out, `${id}.png`)), id);
});

test('epsx run: the step log cannot be appended (disk full) - exit 2 naming log.jsonl; state.json stays valid JSON', async () => {
  const out = join(work, 'runs');
  const r = await withFault('appendFileSync', 'ENOSPC', /log\.jsonl$/, () => epsxInProcess('run', '--quick', '--out', out, '--name', 'full-disk'));
  userError(r, `epsx: cannot write ${join(out, 'full-disk', 'log.jsonl')}: ENOSPC (no space left on device)`);
  JSON.parse(readFileSync(join(out, 'full-disk', 'state.json'), 'utf8'));
  assert.not.ok(filesUnder(out).some((f) => f.endsWith('.tmp')));
});

test.after(cleanup);
test.run();
