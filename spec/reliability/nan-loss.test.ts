/**
 * Numeric faults: a learning rate so high that the loss becomes NaN stops training at once
 * with one line naming the stage, the step and the loss, and advising a lower learning rate.
 * Nothing half-written is left: train-cls/train-seg save nothing (an earlier checkpoint at
 * --out stays as it was); `epsx run` keeps its finished stages and the training state of the
 * last finished epoch, and --resume picks up from there rather than from scratch.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readCheckpoint, saveCheckpoint } from '../../lib/checkpoint.js';
import { UserError } from '../../lib/core/errors.js';
import { trainCls, trainClsOptions } from '../../cli/commands/train-cls.js';
import { trainSeg, trainSegOptions } from '../../cli/commands/train-seg.js';
import { Classifier } from '../../models/index.js';
import { TINY, TINY_TRAINING, cleanup, epsxInProcess, filesUnder, tempDir, userError, writeTinyDataset } from '../cli/helpers.js';

const work = tempDir();
const data = writeTinyDataset(join(work, 'data'));

async function userErrorOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (e) {
    assert.instance(e, UserError, `expected a UserError, got ${(e as Error).name}: ${(e as Error).message}`);
    assert.not.match((e as Error).message, /\n/);
    return (e as Error).message;
  }
  assert.unreachable('expected a UserError');
  return '';
}

test('the CLI refuses an absurd --lr before any work', async () => {
  const before = filesUnder(work);
  userError(await epsxInProcess('train-cls', '--data', data, '--out', join(work, 'x.safetensors'), '--lr', '1e30'), '--lr must be a number in 1e-8..10, got 1e+30');
  assert.equal(filesUnder(work), before);
});

test('train-cls: NaN loss - one line with stage, step, loss and --lr advice; the earlier checkpoint at --out is untouched', async () => {
  const out = join(work, 'cls.safetensors');
  saveCheckpoint(out, new Classifier({ numClasses: TINY.classes, width: 4 }));
  const before = readFileSync(out);
  // Past the option check (max 10), as a config or an API caller could: trainCls is what the command runs.
  const o = { ...trainClsOptions({ data, out, epochs: '2', batchSize: '2', width: '4' }), lr: 1e30 };
  const message = await userErrorOf(() => trainCls(o));
  assert.match(message, /^classifier \(eps\+\+\): loss became NaN at epoch 1, step \d+; training stopped and nothing was saved to .*cls\.safetensors - try a lower --lr \(now 1e\+30\)$/);
  assert.ok(readFileSync(out).equals(before), 'the earlier checkpoint is kept as it was');
  readCheckpoint(out, 'classifier');
  assert.not.ok(filesUnder(work).some((f) => f.endsWith('.tmp')));
  const logged = readFileSync(o.log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(logged.length >= 1 && logged.every((r) => Number.isFinite(r.loss)), 'the log holds the good steps only');
});

test('train-seg: NaN loss - the same, nothing saved', async () => {
  const out = join(work, 'seg.safetensors');
  const o = { ...trainSegOptions({ data, out, full: true, epochs: '2', batchSize: '2', width: '4' }), lr: 1e30 };
  const message = await userErrorOf(() => trainSeg(o));
  assert.match(message, /^segmenter: loss became (NaN|Infinity) at epoch \d+, step \d+; training stopped and nothing was saved to .*seg\.safetensors - try a lower --lr/);
  assert.not.ok(existsSync(out));
});

test('epsx run: NaN in the segmenter stage - exit 2, one line; classifier, pseudo-masks and the last epoch state are kept; --resume continues from them', async () => {
  const out = join(work, 'runs');
  const config = join(work, 'nan.json');
  // Two batches per epoch: the NaN comes in epoch 2, after epoch 1's state was saved.
  writeFileSync(config, JSON.stringify({ segmenter: { lr: 1e30, epochs: 3, batchSize: 8 }, fullBound: false, panels: 0 }));
  const first = await epsxInProcess('run', '--quick', '--config', config, '--out', out, '--name', 'nan');
  userError(first, 'segmenter (wsss): loss became NaN at epoch 2, step 3', "lower 'segmenter.lr' (now 1e+30) in a --config file", 'last epoch state are kept in');
  const run = join(out, 'nan');
  const files = filesUnder(run);
  assert.ok(files.includes('checkpoints/classifier-epspp.safetensors'), 'the finished classifier is kept');
  assert.ok(files.includes('checkpoints/segmenter-wsss.train-state.safetensors'), 'the state after epoch 1 is kept');
  assert.ok(files.filter((f) => f.startsWith('pseudo/')).length === 16, 'the pseudo-masks are kept');
  assert.not.ok(files.some((f) => f.endsWith('.tmp') || f === 'metrics.json' || f === 'checkpoints/segmenter-wsss.safetensors'), files.join(', '));
  const state = JSON.parse(readFileSync(join(run, 'state.json'), 'utf8'));
  assert.equal(Object.keys(state.done).sort(), ['classifier-epspp', 'ird-match-epspp', 'pseudo-epspp-pamr']);

  // --resume starts the segmenter from epoch 2 (not the classifier again): with the same
  // settings it meets the same NaN at the same step, and the log shows each step once.
  const again = await epsxInProcess('run', '--resume', '--out', out, '--name', 'nan');
  userError(again, 'segmenter (wsss): loss became NaN at epoch 2, step 3');
  const log = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const steps = (stage: string) => log.filter((r) => r.stage === stage).map((r) => r.step);
  assert.equal(steps('classifier (eps++)'), [0, 1, 2, 3], 'the classifier was not trained again');
  assert.equal(steps('segmenter (wsss)'), [0, 1], 'epoch 1 of the segmenter, once');
});

test.after(cleanup);
test.run();
