/**
 * Bad input to the stage commands: exit code 2, one line naming the option or file, no stack
 * trace, and nothing written (no checkpoint, mask, panel or log, complete or partial).
 * The cases run the CLI in-process (cli/app.ts, what cli/main.ts runs); the last test checks
 * a few of them through the real `epsx` process.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { saveCheckpoint } from '../../lib/checkpoint.js';
import { encodePalettePng, openVocDataset } from '../../lib/data/index.js';
import { Classifier, Segmenter } from '../../models/index.js';
import { TINY, TINY_TRAINING, cleanup, epsx, epsxInProcess, filesUnder, tempDir, userError, writeTinyDataset } from './helpers.js';

const work = tempDir();
const data = writeTinyDataset(join(work, 'data'));
const trainIds = openVocDataset(data).ids('train');
const p = (name: string) => join(work, name);

// Untrained models are enough to exercise loading; they are saved the same way train-* saves.
const cls = p('cls.safetensors');
const seg = p('seg.safetensors');
saveCheckpoint(cls, new Classifier({ numClasses: TINY.classes, width: 4 }));
saveCheckpoint(seg, new Segmenter({ numClasses: TINY.classes, width: 4 }));
const fiveClasses = p('cls5.safetensors');
saveCheckpoint(fiveClasses, new Classifier({ numClasses: 5, width: 4 }));
const truncated = p('truncated.safetensors');
writeFileSync(truncated, readFileSync(cls).subarray(0, 200));

/** A complete folder of all-background masks, then one with a mask missing, wrong-sized, or out of range. */
function maskFolder(name: string, edit?: (dir: string) => void): string {
  const dir = p(name);
  mkdirSync(dir);
  for (const id of trainIds) writeFileSync(join(dir, `${id}.png`), encodePalettePng(TINY.size, TINY.size, new Uint8Array(TINY.size * TINY.size)));
  edit?.(dir);
  return dir;
}
const goodMasks = maskFolder('masks');
const missingMask = maskFolder('masks-missing', (dir) => rmSync(join(dir, `${trainIds[3]}.png`)));
const emptyMask = maskFolder('masks-empty', (dir) => writeFileSync(join(dir, `${trainIds[0]}.png`), ''));
const smallMask = maskFolder('masks-small', (dir) => writeFileSync(join(dir, `${trainIds[2]}.png`), encodePalettePng(16, 16, new Uint8Array(256))));
const badLabel = maskFolder('masks-label', (dir) => writeFileSync(join(dir, `${trainIds[1]}.png`), encodePalettePng(TINY.size, TINY.size, new Uint8Array(TINY.size * TINY.size).fill(9))));
const corrupt = p('corrupt.png');
writeFileSync(corrupt, Buffer.concat([readFileSync(join(data, 'JPEGImages', `${trainIds[0]}.png`)).subarray(0, 60), Buffer.from('garbage')]));
const goodImage = join(data, 'JPEGImages', `${trainIds[0]}.png`);

/** Run a case and check that it is a clean user error that left the work folder as it was. */
async function refuses(args: string[], ...fragments: string[]): Promise<void> {
  const before = filesUnder(work);
  userError(await epsxInProcess(...args), ...fragments);
  assert.equal(filesUnder(work), before, `${args.join(' ')} wrote files`);
}

const out = p('out.safetensors');

test('bad numbers and unknown words name the option', async () => {
  await refuses(['train-cls', '--data', data, '--out', out, '--epochs', 'abc'], "--epochs must be an integer, got 'abc'");
  await refuses(['train-cls', '--data', data, '--out', out, '--batch-size', '0'], '--batch-size must be an integer in 1..4096, got 0');
  await refuses(['train-cls', '--data', data, '--out', out, '--lr=-1'], '--lr must be a number');
  await refuses(['train-cls', '--data', data, '--out', out, '--method', 'cams'], "--method must be one of cam, eps, eps++, got 'cams'");
  await refuses(['train-cls', '--data', data, '--out', out, '--backend', 'quantum'], '--backend must be one of', "got 'quantum'");
  await refuses(['train-cls', '--data', data, '--out', out, '--seed', '1.5'], '--seed must be an integer');
  await refuses(['train-cls', '--data', data, '--out', out, '--color', '1'], '--color must be a number in 0..0.99, got 1');
  await refuses(['pseudo', '--data', data, '--ckpt', cls, '--out', p('pseudo'), '--scales', '1,x'], "--scales must be a number, got 'x'");
  await refuses(['pseudo', '--data', data, '--ckpt', cls, '--out', p('pseudo'), '--scales', '1,,2'], '--scales must be a comma-separated list');
  await refuses(['pseudo', '--data', data, '--ckpt', cls, '--out', p('pseudo'), '--bg-threshold', '2'], '--bg-threshold must be a number in 0..1, got 2');
  await refuses(['pseudo', '--data', data, '--ckpt', cls, '--out', p('pseudo'), '--split', 'test'], "--split must be one of train, val, got 'test'");
  await refuses(['inspect', trainIds[0]!, '--data', data, '--ckpt', cls, '--out', p('panel.png'), '--size', '5'], '--size must be an integer in 16..1024, got 5');
  await refuses(['train-seg', '--data', data, '--masks', goodMasks, '--out', out, '--labeled-fraction', '1.5'], '--labeled-fraction must be a number in 0..1, got 1.5');
  await refuses(['eval', '--data', data, '--ckpt', seg, '--backend', 'gpu'], '--backend must be one of');
  await refuses(['train-cls', '--data', data, '--out', out, '--epoch', '2'], 'Unknown option `--epoch`');
});

test('missing and conflicting options are named', async () => {
  await refuses(['train-cls', '--data', data], 'train-cls needs --out FILE');
  await refuses(['pseudo', '--data', data, '--out', p('pseudo')], 'pseudo needs --ckpt FILE');
  await refuses(['eval', '--data', data], 'eval needs --ckpt FILE');
  await refuses(['predict', goodImage, '--ckpt', seg], 'predict needs --out DIR');
  await refuses(['train-seg', '--data', data, '--out', out], 'train-seg needs --masks DIR (or --full)');
  await refuses(['train-seg', '--data', data, '--out', out, '--full', '--masks', goodMasks], '--full', '--masks');
  await refuses(['train-seg', '--data', data, '--out', out, '--full', '--labeled-fraction', '0.5'], '--full', '--labeled-fraction');
  await refuses(['train-cls', '--data', data, '--out', out, '--out', p('b.safetensors')], '--out given more than once');
  await refuses(['train-cls', '--data', data, '--out', work], `--out ${work}: is a folder`);
});

test('missing --data folder and unknown image ids', async () => {
  await refuses(['train-cls', '--data', p('no-such-folder'), '--out', out], `${p('no-such-folder')}: dataset folder not found`);
  await refuses(['eval', '--data', p('no-such-folder'), '--ckpt', seg], 'dataset folder not found');
  await refuses(['inspect', 'nope_001', '--data', data, '--ckpt', cls, '--out', p('panel.png')], 'nope_001');
});

test('wrong-kind, truncated and mismatched checkpoints', async () => {
  await refuses(['eval', '--data', data, '--ckpt', cls], `checkpoint ${cls}: is a classifier checkpoint, expected a segmenter`);
  await refuses(['pseudo', '--data', data, '--ckpt', seg, '--out', p('pseudo')], `checkpoint ${seg}: is a segmenter checkpoint, expected a classifier`);
  await refuses(['predict', goodImage, '--ckpt', cls, '--out', p('pred')], 'expected a segmenter');
  await refuses(['inspect', trainIds[0]!, '--data', data, '--ckpt', truncated, '--out', p('panel.png')], `checkpoint ${truncated}: truncated`);
  await refuses(['pseudo', '--data', data, '--ckpt', p('missing.safetensors'), '--out', p('pseudo')], `checkpoint ${p('missing.safetensors')}: cannot read`);
  await refuses(['pseudo', '--data', data, '--ckpt', fiveClasses, '--out', p('pseudo')], 'has 5 classes but', 'has 3');
});

test('bad masks for train-seg name the file; no checkpoint or log is written', async () => {
  await refuses(['train-seg', '--data', data, '--masks', p('no-masks'), '--out', out], `${p('no-masks')}: masks folder not found`);
  await refuses(['train-seg', '--data', data, '--masks', missingMask, '--out', out, ...TINY_TRAINING], join(missingMask, `${trainIds[3]}.png`), 'not found');
  await refuses(['train-seg', '--data', data, '--masks', emptyMask, '--out', out, ...TINY_TRAINING], join(emptyMask, `${trainIds[0]}.png`));
  await refuses(['train-seg', '--data', data, '--masks', smallMask, '--out', out, ...TINY_TRAINING], join(smallMask, `${trainIds[2]}.png`), 'is 16x16');
  await refuses(['train-seg', '--data', data, '--masks', badLabel, '--out', out, ...TINY_TRAINING], join(badLabel, `${trainIds[1]}.png`), 'label 9');
});

test('predict refuses a corrupt image, clashing names and overwriting an input before writing anything', async () => {
  await refuses(['predict', goodImage, corrupt, '--ckpt', seg, '--out', p('pred')], corrupt);
  await refuses(['predict', p('absent.jpg'), '--ckpt', seg, '--out', p('pred')], p('absent.jpg'));
  copyFileSync(goodImage, p('twin.png'));
  mkdirSync(p('other'));
  copyFileSync(goodImage, p('other/twin.png'));
  await refuses(['predict', p('twin.png'), p('other/twin.png'), '--ckpt', seg, '--out', p('pred')], 'would both write');
  await refuses(['predict', p('twin.png'), '--ckpt', seg, '--out', work], 'would overwrite an input image');
});

test('the real process: exit code 2, one line on stderr, no stack trace, nothing written', () => {
  const before = filesUnder(work);
  userError(epsx('train-cls', '--data', data, '--out', out, '--epochs', '0'), '--epochs must be an integer in 1..100000, got 0');
  userError(epsx('eval', '--data', data, '--ckpt', truncated), `checkpoint ${truncated}: truncated`);
  userError(epsx('train-seg', '--data', data, '--masks', missingMask, '--out', out, ...TINY_TRAINING), `${trainIds[3]}.png`);
  userError(epsx('predict', goodImage, corrupt, '--ckpt', seg, '--out', p('pred')), corrupt);
  assert.equal(filesUnder(work), before);
});

test('--debug adds the stack trace to a user error', async () => {
  const r = await epsxInProcess('eval', '--data', data, '--ckpt', truncated, '--debug');
  assert.is(r.code, 2);
  assert.match(r.stderr, /^epsx: checkpoint .*truncated.*\n.*UserError/s);
});

test.after(cleanup);
test.run();
