import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openVocDataset, readPngHeader, synthetic, writeVocDataset } from '../../lib/data/index.js';
import { UserError } from '../../lib/core/errors.js';
import { writeSaliencyMaps } from '../../lib/saliency/dataset.js';
import { cleanup, tempDir, throwsUserError } from '../data/helpers.js';

async function throwsUserErrorAsync(fn: () => Promise<unknown>, message: string): Promise<void> {
  const error = await fn().then(() => undefined, (e: unknown) => e);
  assert.instance(error, UserError);
  assert.is((error as Error).message, message);
}

const root = new URL('../..', import.meta.url).pathname;

function epsx(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A small VOC-layout folder with images and masks but no Saliency/ (as a user's dataset comes). */
function datasetWithoutSaliency(): string {
  const dir = tempDir();
  writeVocDataset(dir, synthetic({ train: 3, val: 1, size: 32, seed: 2 }));
  for (const folder of ['Saliency', 'SaliencyErrors', 'synthetic.json']) rmSync(join(dir, folder), { recursive: true });
  return dir;
}

/** Nothing but the dataset's own entries: no Saliency/, no hidden temporary folder. */
function assertNothingWritten(dir: string): void {
  assert.equal(readdirSync(dir).sort(), ['ImageSets', 'JPEGImages', 'SegmentationClass', 'labels.json']);
}

test('a dataset without Saliency/ is refused in one line naming epsx saliency; the command makes maps the reader accepts', async () => {
  const dir = datasetWithoutSaliency();
  throwsUserError(() => openVocDataset(dir), join(dir, 'Saliency'), `epsx saliency --data ${dir}`);
  const r = epsx('saliency', '--data', dir);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`wrote 4 saliency map\\(s\\) \\(MB\\+\\) to ${join(dir, 'Saliency')}`));
  assert.match(r.stdout, /against the true foreground of 4 image\(s\) with a mask \(S > 0\.5\): precision \d\.\d{3}, recall \d\.\d{3}, F-measure \(beta\^2 0\.3\) \d\.\d{3}, MAE \d\.\d{3}/);
  assert.match(r.stdout, /^recall per class: [a-z]+ \d\.\d{3}(, [a-z]+ \d\.\d{3})*$/m);
  const ds = openVocDataset(dir);
  for (const id of [...ds.ids('train'), ...ds.ids('val')]) {
    const s = ds.load(id);
    assert.is(s.saliency.length, s.height * s.width);
    const header = readPngHeader(new Uint8Array(readFileSync(join(dir, 'Saliency', `${id}.png`))));
    assert.equal([header.width, header.height, header.colorType], [s.width, s.height, 0]);
  }
  // A second run does not overwrite them unless told where else to write.
  await throwsUserErrorAsync(() => writeSaliencyMaps(dir), `${join(dir, 'Saliency')}: saliency maps exist already (use --out DIR to write new ones elsewhere)`);
  const elsewhere = join(tempDir(), 'maps');
  await writeSaliencyMaps(dir, { out: elsewhere });
  for (const id of readdirSync(join(dir, 'Saliency'))) assert.ok(readFileSync(join(elsewhere, id)).equals(readFileSync(join(dir, 'Saliency', id))), `${id}: deterministic`);
});

test('bad input: one line naming the folder or file, exit 2, nothing written', () => {
  const missing = join(tempDir(), 'nowhere');
  const none = epsx('saliency', '--data', missing);
  assert.is(none.code, 2, none.stderr);
  assert.is(none.stderr.trim(), `epsx: ${join(missing, 'JPEGImages')}: image folder not found`);
  const dir = datasetWithoutSaliency();
  const broken = join(dir, 'JPEGImages', 'train_00002.png');
  writeFileSync(broken, 'not a png');
  const r = epsx('saliency', '--data', dir);
  assert.is(r.code, 2, r.stderr);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.ok(r.stderr.includes(broken), r.stderr);
  assertNothingWritten(dir);
});

test.after(cleanup);
test.run();
