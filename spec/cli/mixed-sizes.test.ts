/**
 * Real datasets as they come: a VOC-layout folder whose images have seven different sizes
 * (portrait, landscape and square), JPEG and PNG mixed, some train and val images with
 * image-level labels only (no mask), and some over the --max-pixels limit. The whole
 * `epsx run` and the stage commands run on it; every pseudo-mask and prediction has its
 * image's own size.
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VOC_LAYOUT, chwToRgb, decodePngLabels, labelsOfMask, synthetic, writeVocDataset, type Sample } from '../../lib/data/index.js';
import { cleanup, epsx, ok, tempDir, TINY_TRAINING } from './helpers.js';

/** [height, width] of each image, in id order: seven sizes, portrait, landscape and square. */
const SIZES: Array<[number, number]> = [[30, 40], [44, 32], [36, 48], [40, 40], [28, 44], [48, 36], [30, 40], [44, 32], [36, 36], [48, 36], [40, 40], [28, 44]];
const TRAIN = 8;
/** Over this limit (the 36x48 and 48x36 images): downscaled when loaded. */
const MAX_PIXELS = 1600;
/** Train and val images written without a mask (image-level labels only). */
const LABELS_ONLY = ['img_03', 'img_06', 'img_10'];
/** Images written as JPEG; the rest are PNG. */
const AS_JPEG = new Set(['img_00', 'img_02', 'img_05', 'img_07', 'img_09']);

/** A window of `h` x `w` pixels from the top left of a synthetic sample, labels from its mask. */
function window(s: Sample, id: string, h: number, w: number): Sample {
  const crop = <T extends Float32Array | Uint8Array>(src: T, planes: number): T => {
    const out = new (src.constructor as new (n: number) => T)(planes * h * w);
    for (let k = 0; k < planes; k++) for (let y = 0; y < h; y++) out.set(src.subarray((k * s.height + y) * s.width, (k * s.height + y) * s.width + w), (k * h + y) * w);
    return out;
  };
  const mask = crop(s.mask!, 1);
  return { id, height: h, width: w, image: crop(s.image, 3), saliency: crop(s.saliency, 1), mask, labels: labelsOfMask(mask) };
}

function writeMixedDataset(dir: string): Map<string, [number, number]> {
  const source = synthetic({ train: SIZES.length, val: 0, size: 48, classes: 3, seed: 7 });
  const samples = source.ids('train').map((sid, i) => window(source.load(sid), `img_${String(i).padStart(2, '0')}`, ...SIZES[i]!));
  const byId = new Map(samples.map((s) => [s.id, s]));
  writeVocDataset(dir, { classes: source.classes, ids: (split) => (split === 'train' ? samples.slice(0, TRAIN) : samples.slice(TRAIN)).map((s) => s.id), load: (id) => byId.get(id)! });
  for (const id of LABELS_ONLY) rmSync(join(dir, VOC_LAYOUT.masks, `${id}.png`));
  for (const id of AS_JPEG) {
    const s = byId.get(id)!;
    const rgb = chwToRgb(s.image, s.height, s.width), rgba = Buffer.alloc(s.height * s.width * 4, 255);
    for (let p = 0; p < s.height * s.width; p++) rgba.set(rgb.subarray(3 * p, 3 * p + 3), 4 * p);
    writeFileSync(join(dir, VOC_LAYOUT.images, `${id}.jpg`), jpeg.encode({ data: rgba, width: s.width, height: s.height }, 95).data);
    rmSync(join(dir, VOC_LAYOUT.images, `${id}.png`));
  }
  return new Map(samples.map((s) => [s.id, [s.height, s.width]]));
}

const work = tempDir();
const data = join(work, 'data');
const sizes = writeMixedDataset(data);
const trainIds = [...sizes.keys()].slice(0, TRAIN);

/** Every PNG in `dir` is a label mask of its image's own size with labels in 0..3. */
function assertOwnSizes(dir: string, ids: string[]): void {
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.png') && !f.includes('.overlay')).sort(), ids.map((id) => `${id}.png`).sort());
  for (const id of ids) {
    const mask = decodePngLabels(readFileSync(join(dir, `${id}.png`)), id);
    assert.equal([mask.height, mask.width], sizes.get(id), `${id}: mask at the image's own size`);
    assert.ok(mask.data.every((v) => v <= 3), id);
  }
}

test('the folder really is mixed: seven sizes, portrait and landscape, JPEG and PNG', () => {
  assert.is(new Set(SIZES.map(([h, w]) => `${h}x${w}`)).size, 7);
  assert.ok(SIZES.some(([h, w]) => h > w) && SIZES.some(([h, w]) => h < w));
  const files = readdirSync(join(data, VOC_LAYOUT.images));
  assert.ok(files.some((f) => f.endsWith('.jpg')) && files.some((f) => f.endsWith('.png')));
});

test('epsx run on mixed sizes: trains, writes pseudo-masks at each image size, says what it downscaled and skipped', () => {
  const r = epsx('run', '--quick', '--data', data, '--out', join(work, 'runs'), '--name', 'mixed', '--max-pixels', String(MAX_PIXELS));
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /segmenter wsss\s+val mIoU \d+\.\d/);
  assert.match(r.stderr, /img_02\.jpg: 48x36 is over the limit of 1600 pixels \(--max-pixels\); processed at \d+x\d+/);
  assert.match(r.stderr, /2 of 8 train and 1 of 4 val images have image-level labels only/);
  assert.match(r.stderr, /8 train images of 6 sizes: training crops of 32x32 \(the median short side/);
  assert.not.match(r.stderr, /cannot batch/);
  const run = join(work, 'runs', 'mixed');
  assertOwnSizes(join(run, 'pseudo', 'epspp-pamr'), trainIds); // PAMR-refined, the default
  const metrics = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
  assert.is(metrics.pseudo['epspp-pamr'].images, TRAIN - 2, 'pseudo-masks scored where true masks exist');
  assert.is(metrics.segmenter.wsss.images, 3, 'val scored where true masks exist');
  assert.ok(metrics.segmenter.full.mIoU >= 0 && metrics.segmenter.full.mIoU <= 1);
});

test('train-cls, pseudo, inspect, train-seg, eval and predict on mixed sizes', () => {
  const cls = join(work, 'cls.safetensors'), seg = join(work, 'seg.safetensors'), pseudo = join(work, 'pseudo');
  const limit = ['--max-pixels', String(MAX_PIXELS)];
  ok(epsx('train-cls', '--data', data, '--out', cls, '--crop', '32', '--scale', '0.7,1.3', ...limit, ...TINY_TRAINING), 'train-cls');
  const made = ok(epsx('pseudo', '--data', data, '--ckpt', cls, '--out', pseudo, '--scales', '1,0.5', ...limit), 'pseudo');
  assert.match(made, /wrote 8 pseudo-masks/);
  assert.match(made, /2 of 8 train images have no true mask/);
  assertOwnSizes(pseudo, trainIds);
  ok(epsx('inspect', 'img_03', '--data', data, '--ckpt', cls, '--out', join(work, 'panel.png')), 'inspect on an image without a mask');
  ok(epsx('train-seg', '--data', data, '--masks', pseudo, '--labeled-fraction', '0.5', '--out', seg, ...limit, ...TINY_TRAINING), 'train-seg');
  const scored = ok(epsx('eval', '--data', data, '--ckpt', seg, '--out', join(work, 'metrics.json')), 'eval');
  assert.match(scored, /1 of 4 val images have no true mask/);
  assert.is(JSON.parse(readFileSync(join(work, 'metrics.json'), 'utf8')).images, 3);
  const images = ['img_00.jpg', 'img_01.png', 'img_02.jpg', 'img_08.png'].map((f) => join(data, VOC_LAYOUT.images, f));
  const predicted = epsx('predict', ...images, '--ckpt', seg, '--out', join(work, 'pred'), ...limit);
  ok(predicted, 'predict');
  assert.match(predicted.stderr, /img_02\.jpg: 48x36 is over the limit/);
  assertOwnSizes(join(work, 'pred'), ['img_00', 'img_01', 'img_02', 'img_08']);
  assert.ok(existsSync(join(work, 'pred', 'img_02.overlay.png')));
});

test.after(cleanup);
test.run();
