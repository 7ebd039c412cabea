/** train-cls checkpoints reload bit for bit, and a seed + backend fixes every logged number but the timing. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { noGrad } from '../../lib/core/autograd.js';
import { synthetic } from '../../lib/data/index.js';
import { Tensor } from '../../lib/core/tensor.js';
import { loadClassifier } from '../../models/index.js';
import { trainCls, trainClsOptions } from '../../cli/commands/train-cls.js';
import { TINY, TINY_TRAINING, cleanup, epsx, ok, tempDir, writeTinyDataset } from './helpers.js';

const work = tempDir();
const data = writeTinyDataset(join(work, 'data'));

/** Timing fields differ run to run by nature; everything else must not. */
const TIMING_FIELDS = ['images_per_s'];

function logWithoutTiming(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8').trim().split('\n').map((line) => {
    const record = JSON.parse(line) as Record<string, unknown>;
    for (const f of TIMING_FIELDS) {
      assert.type(record[f], 'number');
      delete record[f];
    }
    return record;
  });
}

test('a checkpoint saved by train-cls loads into a model with bit-identical outputs', async () => {
  const out = join(work, 'in-process.safetensors');
  const flags = { data, out, epochs: 1, batchSize: 4, width: 4, seed: 2 };
  const { model } = await trainCls(trainClsOptions(flags));
  const loaded = loadClassifier(out);
  const sample = synthetic({ ...TINY, seed: 99 }).load('val_00001');
  const x = new Tensor(sample.image, [1, 3, sample.height, sample.width]);
  for (const m of [model, loaded]) m.eval();
  const [a, b] = noGrad(() => [model.forward(x), loaded.forward(x)]);
  assert.equal(Array.from(b!.maps.data), Array.from(a!.maps.data), 'maps');
  assert.equal(Array.from(b!.scores.data), Array.from(a!.scores.data), 'scores');
  for (const [name, entry] of model.stateDict()) assert.equal(Array.from(loaded.stateDict().get(name)!.data), Array.from(entry.data), name);
});

test('same seed and backend: identical log lines except timing, identical checkpoint bytes', () => {
  const run = (name: string, seed: string) => {
    const out = join(work, `${name}.safetensors`);
    ok(epsx('train-cls', '--data', data, '--out', out, '--seed', seed, '--backend', 'webasm', '--method', 'eps++', ...TINY_TRAINING), name);
    return { log: logWithoutTiming(`${out}.log.jsonl`), bytes: readFileSync(out) };
  };
  const a = run('a', '7'), b = run('b', '7'), other = run('other', '8');
  assert.is(a.log.length, TINY.train / 4);
  assert.equal(b.log, a.log);
  assert.ok(Buffer.compare(a.bytes, b.bytes) === 0, 'checkpoints differ');
  assert.not.equal(other.log, a.log, 'another seed should train differently');
});

test.after(cleanup);
test.run();
