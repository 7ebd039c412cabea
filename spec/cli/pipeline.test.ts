/**
 * The stage-by-stage CLI end to end on a tiny synthetic set:
 * train-cls -> pseudo -> inspect -> train-seg (pseudo + SSSS, and --full) -> eval -> predict.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { test } from 'uvu';
import { readCheckpoint } from '../../lib/checkpoint.js';
import * as assert from 'uvu/assert';
import { decodePngLabels, decodePngRgb, openVocDataset } from '../../lib/data/index.js';
import { Canvas, composePanel } from '../../lib/viz/index.js';
import { TINY, TINY_TRAINING, cleanup, epsx, filesUnder, ok, tempDir, userError, writeTinyDataset } from './helpers.js';

const work = tempDir();
const data = writeTinyDataset(join(work, 'data'));
const dataset = openVocDataset(data);
const cls = join(work, 'cls.safetensors');
const pseudoDir = join(work, 'pseudo');
const seg = join(work, 'seg.safetensors');
const timings: Record<string, number> = {};

function step(name: string, ...args: string[]): string {
  const r = epsx(...args);
  timings[name] = r.seconds;
  return ok(r, name);
}

test('train-cls writes a checkpoint and one JSON log line per step', () => {
  const out = step('train-cls', 'train-cls', '--data', data, '--out', cls, '--method', 'eps++', '--seed', '1', '--warmup-epochs', '0.5', ...TINY_TRAINING);
  assert.match(out, /saved eps\+\+ classifier to .*cls\.safetensors \(2 steps/);
  const lines = readFileSync(`${cls}.log.jsonl`, 'utf8').trim().split('\n');
  assert.is(lines.length, TINY.train / 4);
  for (const [i, line] of lines.entries()) {
    const r = JSON.parse(line) as Record<string, number>;
    for (const key of ['loss_cls', 'loss_sal', 'lr', 'images_per_s']) assert.ok(Number.isFinite(r[key]), `${key} in ${line}`);
    // Half an epoch (1 of 2 steps) of warm-up, then the IRD logs its drops.
    assert.is(Number.isFinite(r.ird_dropped) && r.ird_dropped! >= 0 && r.ird_dropped! <= 1, i >= 1, `ird_dropped in ${line}`);
    assert.is(typeof r.event === 'string', i === 1, `event in ${line}`);
  }
});

test('pseudo writes a palette PNG per train image with only background and present classes', () => {
  const out = step('pseudo', 'pseudo', '--data', data, '--ckpt', cls, '--out', pseudoDir, '--scales', '1,0.5');
  assert.match(out, /wrote 8 pseudo-masks \(train, eps\+\+ classifier\)/);
  assert.match(out, /mIoU\s+\d\.\d{3}/);
  assert.equal(readdirSync(pseudoDir).sort(), dataset.ids('train').map((id) => `${id}.png`));
  for (const id of dataset.ids('train')) {
    const mask = decodePngLabels(readFileSync(join(pseudoDir, `${id}.png`)), id);
    assert.equal([mask.width, mask.height], [TINY.size, TINY.size]);
    const allowed = new Set([0, ...dataset.load(id).labels]);
    assert.ok(mask.data.every((v) => allowed.has(v)), `${id}: labels ${[...new Set(mask.data)]} outside ${[...allowed]}`);
  }
});

test('inspect writes a panel whose size matches the tile layout', () => {
  const id = dataset.ids('train')[1]!;
  const panel = join(work, 'panel.png');
  const out = step('inspect', 'inspect', id, '--data', data, '--ckpt', cls, '--out', panel, '--size', '64');
  const sample = dataset.load(id);
  // image, saliency, one map per present class, M_fg, M_r, N, pseudo-mask, ground truth
  const count = 2 + sample.labels.length + 4 + 1;
  const blank = Array.from({ length: count }, () => ({ label: '', tile: new Canvas(TINY.size, TINY.size) }));
  const expected = composePanel(blank, { size: 64, title: 'title' });
  const png = decodePngRgb(readFileSync(panel), panel);
  assert.equal([png.width, png.height], [expected.width, expected.height]);
  assert.match(out, new RegExp(`${id}: .*IRD drops \\d+\\.\\d%`));
  assert.match(out, new RegExp(`${count} tiles`));
});

test('train-seg trains on pseudo-masks with a labelled fraction, and on true masks with --full', () => {
  const out = step('train-seg', 'train-seg', '--data', data, '--masks', pseudoDir, '--labeled-fraction', '0.5', '--out', seg, ...TINY_TRAINING);
  assert.match(out, /true masks for 50% and pseudo-masks from/);
  assert.ok(existsSync(seg) && existsSync(`${seg}.log.jsonl`));
  const full = join(work, 'full.safetensors');
  assert.match(ok(epsx('train-seg', '--data', data, '--full', '--out', full, '--log', join(work, 'full.jsonl'), ...TINY_TRAINING), 'train-seg --full'), /saved segmenter \(true masks\)/);
  assert.ok(existsSync(full) && existsSync(join(work, 'full.jsonl')));
  // --init starts the backbone from the classifier: its weights are the classifier's before training
  const init = join(work, 'init.safetensors');
  ok(epsx('train-seg', '--data', data, '--full', '--init', cls, '--lr', '1e-8', '--out', init, '--log', join(work, 'init.jsonl'), ...TINY_TRAINING), 'train-seg --init');
  const [c, i] = [cls, init].map((p) => readCheckpoint(p).tensors.get('backbone.stem.conv.weight')!.data);
  assert.ok(c!.every((v, k) => Math.abs(v - i![k]!) < 1e-5), 'backbone copied from the classifier (lr ~0)');
  const wrongWidth = epsx('train-seg', '--data', data, '--full', '--init', cls, '--width', '5', '--out', join(work, 'w.safetensors'));
  userError(wrongWidth, 'has shape');
});

test('eval prints the IoU table and writes metrics JSON with values in [0,1]', () => {
  const metrics = join(work, 'out', 'metrics.json');
  const out = step('eval', 'eval', '--data', data, '--ckpt', seg, '--out', metrics);
  for (const name of ['background', ...dataset.classes, 'mIoU']) assert.match(out, new RegExp(`${name}\\s+(\\d\\.\\d{3}|-)`));
  const m = JSON.parse(readFileSync(metrics, 'utf8')) as { mIoU: number; pixelAccuracy: number; images: number; split: string; perClass: Record<string, number | null> };
  assert.is(m.split, 'val');
  assert.is(m.images, TINY.val);
  for (const v of [m.mIoU, m.pixelAccuracy]) assert.ok(typeof v === 'number' && v >= 0 && v <= 1, String(v));
  assert.equal(Object.keys(m.perClass), ['background', ...dataset.classes]);
  for (const v of Object.values(m.perClass)) assert.ok(v === null || (v >= 0 && v <= 1), String(v));
});

test('predict writes masks and overlays at each input image size, PNG or JPEG', () => {
  const png = join(data, 'JPEGImages', 'val_00000.png');
  const [W, H] = [45, 37]; // not the training size, not square, not a multiple of the stride
  const rgba = Buffer.alloc(W * H * 4, 0);
  for (let p = 0; p < W * H; p++) rgba.set([(p * 7) % 256, (p * 13) % 256, (p * 29) % 256, 255], p * 4);
  const jpg = join(work, 'odd size.jpg');
  writeFileSync(jpg, jpeg.encode({ data: rgba, width: W, height: H }, 90).data);
  const outDir = join(work, 'pred');
  const out = step('predict', 'predict', png, jpg, '--ckpt', seg, '--out', outDir);
  assert.match(out, /wrote 2 masks and overlays/);
  assert.equal(filesUnder(outDir), ['odd size.overlay.png', 'odd size.png', 'val_00000.overlay.png', 'val_00000.png']);
  for (const [name, w, h] of [['val_00000', TINY.size, TINY.size], ['odd size', W, H]] as const) {
    const mask = decodePngLabels(readFileSync(join(outDir, `${name}.png`)), name);
    assert.equal([mask.width, mask.height], [w, h]);
    assert.ok(mask.data.every((v) => v <= TINY.classes), name);
    const overlay = decodePngRgb(readFileSync(join(outDir, `${name}.overlay.png`)), name);
    assert.equal([overlay.width, overlay.height], [w, h]);
  }
});

test.after(() => {
  if (process.env.EPSX_TIMINGS) console.log('timings (s):', JSON.stringify(timings));
  cleanup();
});
test.run();
