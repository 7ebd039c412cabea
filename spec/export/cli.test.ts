/**
 * `epsx export` as a user runs it: pseudo-masks of a VOC folder with mixed image sizes and
 * formats into the SegmentationClassAug layout with its list files, a model beside them, and
 * bad input refused with one line, exit code 2 and nothing written.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../lib/core/random.js';
import { encodeSafetensors, saveCheckpoint } from '../../lib/checkpoint.js';
import { decodePngLabels, encodePalettePng, encodePngGrey, encodePngRgb, formatLabelsFile, readPngHeader } from '../../lib/data/index.js';
import { ExportInterrupted, exportMasks, writeFolderAtomic } from '../../lib/export/index.js';
import { Classifier, Segmenter } from '../../models/index.js';
import { cleanup, epsxInProcess, filesUnder, tempDir, userError } from '../cli/helpers.js';

const work = tempDir();
const p = (...parts: string[]) => join(work, ...parts);
const rng = new Rng(21);

/** [id, width, height, format]: portrait, landscape and square; JPEG and PNG. */
const TRAIN = [['t0', 40, 24, 'jpg'], ['t1', 24, 40, 'png'], ['t2', 33, 33, 'jpg']] as const;
const VAL = [['v0', 30, 20, 'png'], ['v1', 20, 30, 'jpg']] as const; // v1 has no true mask
const NUM_CLASSES = 3;

function randomLabels(w: number, h: number): Uint8Array {
  return Uint8Array.from({ length: w * h }, () => (rng.next() < 0.1 ? 255 : rng.int(NUM_CLASSES + 1)));
}

/** A VOC folder: images, saliency, true masks for all but v1, split lists, labels.json. */
const data = p('data');
const truth = new Map<string, Uint8Array>();
for (const dir of ['JPEGImages', 'Saliency', 'SegmentationClass', 'ImageSets/Segmentation']) mkdirSync(join(data, dir), { recursive: true });
for (const [id, w, h, format] of [...TRAIN, ...VAL]) {
  const rgb = Uint8Array.from({ length: w * h * 3 }, () => rng.int(256));
  const file = join(data, 'JPEGImages', `${id}.${format}`);
  if (format === 'png') writeFileSync(file, encodePngRgb(w, h, rgb));
  else {
    const rgba = new Uint8Array(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : rgb[(i >> 2) * 3 + (i % 4)]!));
    writeFileSync(file, jpeg.encode({ data: rgba, width: w, height: h }, 90).data);
  }
  writeFileSync(join(data, 'Saliency', `${id}.png`), encodePngGrey(w, h, new Uint8Array(w * h)));
  if (id === 'v1') continue;
  truth.set(id, randomLabels(w, h));
  writeFileSync(join(data, 'SegmentationClass', `${id}.png`), encodePalettePng(w, h, truth.get(id)!));
}
writeFileSync(join(data, 'ImageSets/Segmentation/train.txt'), TRAIN.map(([id]) => id).join('\n') + '\n');
writeFileSync(join(data, 'ImageSets/Segmentation/val.txt'), VAL.map(([id]) => id).join('\n') + '\n');
const labelsJson = formatLabelsFile({ classes: ['disc', 'square', 'ring'], images: new Map([...TRAIN, ...VAL].map(([id]) => [id, [1, 2]])) });
writeFileSync(join(data, 'labels.json'), labelsJson);

/** Pseudo-masks for the train ids, as `epsx pseudo` writes them; `edit` spoils one for a bad-input case. */
const pseudo = new Map(TRAIN.map(([id, w, h]) => [id, randomLabels(w, h)]));
function maskFolder(name: string, edit?: (dir: string) => void): string {
  const dir = p(name);
  mkdirSync(dir);
  for (const [id, w, h] of TRAIN) writeFileSync(join(dir, `${id}.png`), encodePalettePng(w, h, pseudo.get(id)!));
  edit?.(dir);
  return dir;
}
const masks = maskFolder('pseudo');
const seg = p('seg.safetensors');
saveCheckpoint(seg, new Segmenter({ numClasses: NUM_CLASSES, width: 2 }));

test('masks and model: the SegmentationClassAug layout, list files, each mask at its image size, images as they were', async () => {
  const out = p('export');
  const r = await epsxInProcess('export', '--data', data, '--masks', masks, '--ckpt', seg, '--out', out);
  assert.is(r.code, 0, r.stderr);
  const images = [...TRAIN, ...VAL.slice(0, 1)].map(([id, , , f]) => `JPEGImages/${id}.${f}`);
  const auged = [...TRAIN, ...VAL.slice(0, 1)].map(([id]) => `SegmentationClassAug/${id}.png`);
  const lists = ['Segmentation/train_aug.txt', 'Segmentation/val.txt', 'SegmentationAug/train_aug.txt', 'SegmentationAug/val.txt'].map((l) => `ImageSets/${l}`);
  assert.equal(filesUnder(out), [...lists, ...images, ...auged, 'labels.json', 'model.py', 'model.safetensors'].sort());

  const read = (f: string) => readFileSync(join(out, f), 'utf8');
  assert.is(read('ImageSets/SegmentationAug/train_aug.txt'), 'JPEGImages/t0.jpg SegmentationClassAug/t0.png\nJPEGImages/t1.png SegmentationClassAug/t1.png\nJPEGImages/t2.jpg SegmentationClassAug/t2.png\n');
  assert.is(read('ImageSets/SegmentationAug/val.txt'), 'JPEGImages/v0.png SegmentationClassAug/v0.png\n');
  assert.is(read('ImageSets/Segmentation/train_aug.txt'), 't0\nt1\nt2\n');
  assert.is(read('ImageSets/Segmentation/val.txt'), 'v0\n');
  assert.is(read('labels.json'), labelsJson);
  for (const [id, w, h] of [...TRAIN, VAL[0]]) {
    const bytes = readFileSync(join(out, 'SegmentationClassAug', `${id}.png`));
    assert.is(readPngHeader(bytes, id).colorType, 3, `${id}: a palette PNG`);
    const mask = decodePngLabels(bytes, id);
    assert.equal([mask.width, mask.height], [w, h]);
    assert.ok(Buffer.from(mask.data).equals(Buffer.from((pseudo.get(id) ?? truth.get(id))!)), `${id}: labels kept (pseudo for train, true for val)`);
  }
  for (const f of images) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(data, f))), `${f} unchanged`);
  assert.equal(readdirSync(work).filter((n) => n.startsWith('.')), [], 'no temporary folder left');
});

test('model only, into an existing empty folder', async () => {
  const out = p('model-only');
  mkdirSync(out);
  const cls = p('cls.safetensors');
  saveCheckpoint(cls, new Classifier({ numClasses: NUM_CLASSES, width: 2 }));
  const r = await epsxInProcess('export', '--ckpt', cls, '--out', out);
  assert.is(r.code, 0, r.stderr);
  assert.equal(filesUnder(out), ['model.py', 'model.safetensors']);
  assert.match(readFileSync(join(out, 'model.py'), 'utf8'), /^CLASSES = json\.loads\(r'''\["class1","class2","class3"\]'''\)$/m);
});

test('an export stopped between two files (Ctrl-C) is discarded whole', async () => {
  const out = p('interrupted');
  let asked = 0;
  const before = filesUnder(work);
  try {
    await writeFolderAtomic('--out', out, (dir) => exportMasks(data, masks, dir, { stopRequested: () => ++asked > 2 }));
    assert.unreachable('should have stopped');
  } catch (e) {
    assert.instance(e, ExportInterrupted);
  }
  assert.is(asked, 3, 'asked before each file; two were written');
  assert.not.ok(existsSync(out));
  assert.equal(filesUnder(work), before);
  assert.equal(readdirSync(work).filter((n) => n.startsWith('.')), []);
});

/** Run a case and check that it is a clean user error that left the work folder as it was. */
async function refuses(args: string[], ...fragments: string[]): Promise<void> {
  const before = filesUnder(work);
  const topLevel = readdirSync(work).sort();
  userError(await epsxInProcess('export', ...args), ...fragments);
  assert.equal(filesUnder(work), before, `${args.join(' ')} wrote files`);
  assert.equal(readdirSync(work).sort(), topLevel, `${args.join(' ')} left a folder behind`);
}

test('bad input: one line naming the option or file, exit code 2, nothing written', async () => {
  const out = p('bad-out');
  const full = ['--data', data, '--masks', masks, '--out', out];
  await refuses(['--data', data, '--masks', masks], 'export needs --out DIR');
  await refuses(['--out', out], 'export needs --masks DIR (with --data DIR) or --ckpt FILE');
  await refuses(['--masks', masks, '--out', out], '--masks needs --data DIR');
  await refuses(['--data', p('nowhere'), '--masks', masks, '--out', out], 'nowhere', 'not found');
  await refuses(['--data', data, '--masks', p('nowhere'), '--out', out], 'nowhere: masks folder not found');
  await refuses(['--data', data, '--masks', masks, '--out', masks], `--out ${masks}: folder exists and is not empty`);
  await refuses(['--data', data, '--masks', masks, '--out', seg], `--out ${seg}: is a file`);

  const missing = maskFolder('pseudo-missing', (dir) => rmSync(join(dir, 't1.png')));
  await refuses(['--data', data, '--masks', missing, '--out', out], `${join(missing, 't1.png')}: pseudo-mask of image "t1" not found`);
  const empty = maskFolder('pseudo-empty', (dir) => writeFileSync(join(dir, 't1.png'), ''));
  await refuses(['--data', data, '--masks', empty, '--out', out], join(empty, 't1.png'));
  const small = maskFolder('pseudo-small', (dir) => writeFileSync(join(dir, 't2.png'), encodePalettePng(32, 33, new Uint8Array(32 * 33))));
  await refuses(['--data', data, '--masks', small, '--out', out], join(small, 't2.png'), 'is 32x33 but image', '33x33');
  const label = maskFolder('pseudo-label', (dir) => writeFileSync(join(dir, 't0.png'), encodePalettePng(40, 24, new Uint8Array(40 * 24).fill(7))));
  await refuses(['--data', data, '--masks', label, '--out', out], join(label, 't0.png'), 'label 7', 'outside 0..3');

  await refuses([...full, '--ckpt', p('none.safetensors')], 'none.safetensors: cannot read (ENOENT)');
  await refuses([...full, '--ckpt', join(data, 'JPEGImages', 't1.png')], 't1.png', 'not a safetensors file');
  const other = p('other.safetensors');
  writeFileSync(other, encodeSafetensors(new Map(), { config: JSON.stringify({ kind: 'optimizer' }) }));
  await refuses([...full, '--ckpt', other], `checkpoint ${other}: holds a "optimizer" model; export takes a classifier or a segmenter checkpoint`);
});

test.after(cleanup);
test.run();
