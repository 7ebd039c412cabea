import { readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  VOC_LAYOUT,
  chwToRgb,
  encodePalettePng,
  encodePngGrey,
  openVocDataset,
  synthetic,
  writeVocDataset,
  type Dataset,
  type Sample,
} from '../../lib/data/index.js';
import { assemblePng, encodePngChunk, ihdrData } from '../../lib/data/png-chunks.js';
import { cleanup, makeSample, tempDir, throwsUserError } from './helpers.js';

const CLASSES = ['cat', 'dog', 'cow'];

/** A Dataset over samples held in memory. */
function memoryDataset(classes: string[], train: Sample[], val: Sample[]): Dataset {
  const byId = new Map([...train, ...val].map((s) => [s.id, s]));
  return {
    classes,
    ids: (split) => (split === 'train' ? train : val).map((s) => s.id),
    load: (id) => byId.get(id)!,
  };
}

/** A valid small folder with 3 train and 2 val images of 6x5 pixels. */
function validFolder(): string {
  const dir = tempDir();
  const samples = ['a', 'b', 'c', 'd', 'e'].map((id, i) => makeSample(id, 5, 6, CLASSES.length, i + 1));
  writeVocDataset(dir, memoryDataset(CLASSES, samples.slice(0, 3), samples.slice(3)));
  return dir;
}

const at = (dir: string, ...parts: string[]) => join(dir, ...parts);

function assertSameSample(read: Sample, wrote: Sample): void {
  assert.equal([read.id, read.height, read.width], [wrote.id, wrote.height, wrote.width]);
  assert.equal(read.labels, wrote.labels);
  assert.equal(read.mask, wrote.mask);
  for (const [got, want] of [[read.image, wrote.image], [read.saliency, wrote.saliency]] as const) {
    assert.is(got.length, want.length);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= 0.5 / 255 + 1e-6, `value ${i}: ${got[i]} vs ${want[i]}`);
  }
}

test('write then read returns the same images (8-bit), saliency, masks and labels', () => {
  const sampleArb = fc.record({ h: fc.integer({ min: 1, max: 12 }), w: fc.integer({ min: 1, max: 12 }), seed: fc.nat(), n: fc.integer({ min: 1, max: 3 }), v: fc.integer({ min: 0, max: 2 }) });
  fc.assert(
    fc.property(sampleArb, ({ h, w, seed, n, v }) => {
      const samples = Array.from({ length: n + v }, (_, i) => makeSample(`img-${i}`, h + (i % 2), w, CLASSES.length, seed + i));
      const dir = tempDir();
      writeVocDataset(dir, memoryDataset(CLASSES, samples.slice(0, n), samples.slice(n)));
      const read = openVocDataset(dir);
      assert.equal(read.classes, CLASSES);
      assert.equal(read.ids('train'), samples.slice(0, n).map((s) => s.id));
      assert.equal(read.ids('val'), samples.slice(n).map((s) => s.id));
      for (const s of samples) assertSameSample(read.load(s.id), s);
      rmSync(dir, { recursive: true });
    }),
    { numRuns: 15 },
  );
});

test('synthetic data round-trips with its injected-error records and maps', () => {
  const dir = tempDir();
  const generated = synthetic({ train: 4, val: 2, size: 32, seed: 7, missingClass: 0.5, falseCoverage: 0.5 });
  writeVocDataset(dir, generated);
  const read = openVocDataset(dir);
  assert.equal(read.classes, generated.classes);
  for (const id of [...generated.ids('train'), ...generated.ids('val')]) {
    const want = generated.load(id), got = read.load(id);
    assertSameSample(got, want);
    assert.equal(got.errors, want.errors);
  }
});

test('labels are derived from the masks when labels.json is absent', () => {
  const dir = validFolder();
  const before = openVocDataset(dir);
  rmSync(at(dir, VOC_LAYOUT.labels));
  const after = openVocDataset(dir);
  assert.equal(after.classes, ['class1', 'class2', 'class3']);
  for (const id of ['a', 'b', 'c', 'd', 'e']) assert.equal(after.load(id).labels, before.load(id).labels);
});

test('labels.json may name classes instead of giving indices', () => {
  const dir = validFolder();
  writeFileSync(at(dir, VOC_LAYOUT.labels), JSON.stringify({ classes: CLASSES, images: { a: ['dog', 'cat'], b: [3] } }));
  const read = openVocDataset(dir);
  assert.equal(read.load('a').labels, [1, 2]);
  assert.equal(read.load('b').labels, [3]);
});

test('images over maxPixels are downscaled when loaded, with one notice each; images without a mask keep their labels', () => {
  const dir = validFolder(); // 5 rows x 6 columns: 30 pixels
  rmSync(at(dir, VOC_LAYOUT.masks, 'b.png'));
  const notices: string[] = [];
  const read = openVocDataset(dir, { maxPixels: 20, notice: (line) => notices.push(line) });
  const a = read.load('a'), b = read.load('b');
  assert.equal([a.height, a.width, a.original], [4, 4, { height: 5, width: 6 }]);
  assert.is(a.mask!.length, 16);
  assert.is(b.mask, undefined);
  assert.ok(b.labels.length > 0, 'labels from labels.json');
  assert.equal(notices, ['a', 'b'].map((id) => `${at(dir, VOC_LAYOUT.images, `${id}.png`)}: 6x5 is over the limit of 20 pixels (--max-pixels); processed at 4x4`));
  assert.is(openVocDataset(dir, { maxPixels: 30, notice: () => assert.unreachable('fits') }).load('a').original, undefined);
});

test('JPEG images are read', () => {
  const dir = validFolder();
  const png = openVocDataset(dir).load('a');
  const rgb = chwToRgb(png.image, png.height, png.width);
  const rgba = new Uint8Array(png.height * png.width * 4);
  for (let p = 0; p < png.height * png.width; p++) rgba.set([...rgb.subarray(3 * p, 3 * p + 3), 255], 4 * p);
  rmSync(at(dir, 'JPEGImages', 'a.png'));
  writeFileSync(at(dir, 'JPEGImages', 'a.jpg'), jpeg.encode({ width: png.width, height: png.height, data: rgba }, 100).data);
  const read = openVocDataset(dir).load('a');
  assert.equal([read.height, read.width], [png.height, png.width]);
  assert.equal(read.mask, png.mask);
});

test('bad folders: missing folder, split list, image, saliency', () => {
  throwsUserError(() => openVocDataset('/nonexistent/epsx-data'), '/nonexistent/epsx-data', 'dataset folder not found');
  let dir = validFolder();
  rmSync(at(dir, 'ImageSets', 'Segmentation', 'train.txt'));
  throwsUserError(() => openVocDataset(dir), 'train.txt', 'split list not found');

  dir = validFolder();
  rmSync(at(dir, 'ImageSets', 'Segmentation', 'val.txt'));
  const noVal = openVocDataset(dir); // train-only folders open; asking for val names the file
  throwsUserError(() => noVal.ids('val'), 'val.txt', 'split list not found');

  dir = validFolder();
  rmSync(at(dir, 'JPEGImages', 'b.png'));
  throwsUserError(() => openVocDataset(dir), 'train.txt', '"b"', 'does not exist');

  dir = validFolder();
  writeFileSync(at(dir, 'ImageSets', 'Segmentation', 'train.txt'), 'a\n../../etc/passwd\n');
  throwsUserError(() => openVocDataset(dir), 'train.txt:2', '../../etc/passwd');

  dir = validFolder();
  writeFileSync(at(dir, 'ImageSets', 'Segmentation', 'train.txt'), 'a\nb\na\n');
  throwsUserError(() => openVocDataset(dir), 'train.txt:3', 'listed twice');

  dir = validFolder();
  rmSync(at(dir, 'Saliency', 'c.png'));
  throwsUserError(() => openVocDataset(dir).load('c'), at(dir, 'Saliency', 'c.png'), 'saliency map not found');
});

test('bad files: corrupt or truncated PNG and JPEG, oversized header', () => {
  let dir = validFolder();
  const image = at(dir, 'JPEGImages', 'a.png');
  writeFileSync(image, readFileSync(image).subarray(0, 50));
  throwsUserError(() => openVocDataset(dir).load('a'), image, 'truncated');

  dir = validFolder();
  const jpg = at(dir, 'JPEGImages', 'a.jpg');
  rmSync(at(dir, 'JPEGImages', 'a.png'));
  const good = jpeg.encode({ width: 6, height: 5, data: new Uint8Array(120).fill(90) }, 90).data;
  writeFileSync(jpg, good.subarray(0, good.length - 60));
  throwsUserError(() => openVocDataset(dir).load('a'), jpg, 'truncated JPEG');
  writeFileSync(jpg, 'not an image at all');
  throwsUserError(() => openVocDataset(dir).load('a'), jpg, 'not a JPEG');

  dir = validFolder();
  const saliency = at(dir, 'Saliency', 'b.png');
  writeFileSync(saliency, assemblePng([encodePngChunk('IHDR', ihdrData(9000, 9000, 8, 0)), encodePngChunk('IEND', new Uint8Array(0))]));
  throwsUserError(() => openVocDataset(dir).load('b'), saliency, '9000x9000', 'exceeds');
});

test('bad content: size mismatches, mask values, labels.json', () => {
  let dir = validFolder();
  const saliency = at(dir, 'Saliency', 'a.png');
  writeFileSync(saliency, encodePngGrey(7, 5, new Uint8Array(35)));
  throwsUserError(() => openVocDataset(dir).load('a'), saliency, 'is 7x5', 'a.png is 6x5');

  dir = validFolder();
  const mask = at(dir, 'SegmentationClass', 'a.png');
  writeFileSync(mask, encodePalettePng(6, 4, new Uint8Array(24)));
  throwsUserError(() => openVocDataset(dir).load('a'), mask, 'is 6x4');

  dir = validFolder();
  const values = new Uint8Array(30);
  values[13] = 9;
  writeFileSync(at(dir, 'SegmentationClass', 'b.png'), encodePalettePng(6, 5, values));
  throwsUserError(() => openVocDataset(dir).load('b'), at(dir, 'SegmentationClass', 'b.png'), 'mask value 9', 'row 2, column 1', 'outside 0..3 and 255');

  const labels = (text: string) => {
    const d = validFolder();
    writeFileSync(at(d, VOC_LAYOUT.labels), text);
    return () => openVocDataset(d);
  };
  throwsUserError(labels('{"classes": ["cat", '), 'labels.json', 'not valid JSON');
  throwsUserError(labels('{"classes": ["cat","dog","cow"], "images": {"a": ["horse"]}}'), 'labels.json', '"a"', 'unknown class "horse"');
  throwsUserError(labels('{"classes": ["cat","dog","cow"], "images": {"a": [4]}}'), 'labels.json', '"a"', '1..3');
  throwsUserError(labels('{"classes": ["cat","cat"]}'), 'labels.json', 'appears twice');
  throwsUserError(labels('[1,2]'), 'labels.json', '"classes"');
});

test('an interrupted write leaves no split lists and no temporary files behind', () => {
  const dir = validFolder();
  const samples = ['p', 'q', 'r'].map((id, i) => makeSample(id, 4, 4, 3, i));
  const failing: Dataset = {
    classes: CLASSES,
    ids: (split) => (split === 'train' ? ['p', 'q', 'r'] : []),
    load: (id) => {
      if (id === 'r') throw new Error('disk on fire');
      return samples.find((s) => s.id === id)!;
    },
  };
  assert.throws(() => writeVocDataset(dir, failing), /disk on fire/);
  assert.not.ok(existsSync(at(dir, 'ImageSets', 'Segmentation', 'train.txt')));
  throwsUserError(() => openVocDataset(dir), 'split list not found'); // not readable as a half-new dataset
  for (const folder of ['JPEGImages', 'Saliency', 'SegmentationClass']) assert.equal(readdirSync(at(dir, folder)).filter((f) => f.startsWith('.')), []);
});

test.after(cleanup);
test.run();
