import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SaliencyErrorType, SyntheticStats, labelsOfMask, synthetic, writeVocDataset, type Sample } from '../../lib/data/index.js';
import { SaliencyScore } from '../../lib/metrics.js';
import { cleanup, tempDir } from './helpers.js';

const all = (ds: ReturnType<typeof synthetic>): Sample[] => [...ds.ids('train'), ...ds.ids('val')].map((id) => ds.load(id));

test('same seed gives identical samples in any load order; another seed differs', () => {
  const a = synthetic({ train: 6, val: 2, seed: 3 }), b = synthetic({ train: 6, val: 2, seed: 3 }), c = synthetic({ train: 6, val: 2, seed: 4 });
  const ids = [...b.ids('train'), ...b.ids('val')];
  const loadedBackwards = new Map(ids.slice().reverse().map((id) => [id, b.load(id)]));
  assert.equal(all(a), ids.map((id) => loadedBackwards.get(id)));
  assert.not.equal(a.load('train_00000').image, c.load('train_00000').image);
});

test('same seed gives identical bytes on disk', () => {
  const [d1, d2] = [tempDir(), tempDir()];
  for (const dir of [d1, d2]) writeVocDataset(dir, synthetic({ train: 3, val: 1, size: 32, seed: 11 }));
  const files = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length)).sort();
  assert.equal(files(d1), files(d2));
  for (const f of files(d1)) assert.ok(readFileSync(d1 + f).equals(readFileSync(d2 + f)), f);
});

test('samples are well formed: shapes, ranges, labels match masks, 1-3 objects', () => {
  const ds = synthetic({ train: 40, val: 0, size: 48, classes: 4, seed: 1 });
  assert.equal(ds.classes, ['disc', 'square', 'triangle', 'ring']);
  for (const s of all(ds)) {
    assert.equal([s.height, s.width, s.image.length, s.saliency.length, s.mask!.length], [48, 48, 3 * 48 * 48, 48 * 48, 48 * 48]);
    assert.ok(s.image.every((v) => v >= 0 && v <= 1) && s.saliency.every((v) => v >= 0 && v <= 1));
    assert.ok(s.mask!.every((v) => v <= 4));
    assert.equal(s.labels, labelsOfMask(s.mask!));
    const objects = s.errors!.objectClasses;
    assert.ok(objects.length >= 1 && objects.length <= 3);
    assert.equal(s.labels, [...new Set(objects)].sort((a, b) => a - b));
  }
});

test('error maps agree with the records and with the saliency values', () => {
  const ds = synthetic({ train: 150, val: 0, seed: 2 });
  const mean = { missing: [0, 0], falseCoverage: [0, 0], correctForeground: [0, 0] };
  const add = (acc: number[], v: number) => { acc[0] += v; acc[1]++; };
  for (const s of all(ds)) {
    const e = s.errors!, mask = s.mask!, pixels = e.pixels!;
    let classPixels = 0, partPixels = 0, falsePixels = 0;
    for (let p = 0; p < pixels.length; p++) {
      switch (pixels[p]) {
        case SaliencyErrorType.missingClass: classPixels++; assert.ok(e.missingClasses.includes(mask[p])); add(mean.missing, s.saliency[p]); break;
        case SaliencyErrorType.missingPart: partPixels++; assert.ok(mask[p] > 0 && !e.missingClasses.includes(mask[p])); add(mean.missing, s.saliency[p]); break;
        case SaliencyErrorType.falseCoverage: falsePixels++; assert.is(mask[p], 0); add(mean.falseCoverage, s.saliency[p]); break;
        default: if (mask[p] > 0) add(mean.correctForeground, s.saliency[p]);
      }
    }
    assert.is(classPixels > 0, e.missingClasses.length > 0);
    assert.is(partPixels > 0, e.partialObjects.length > 0);
    assert.is(falsePixels > 0, e.falsePatches > 0);
    for (const k of e.partialObjects) assert.ok(k < e.objectClasses.length);
  }
  const avg = (acc: number[]) => acc[0] / acc[1];
  assert.ok(avg(mean.missing) < 0.35, `missing pixels look salient: ${avg(mean.missing)}`);
  assert.ok(avg(mean.falseCoverage) > 0.65, `false coverage not salient: ${avg(mean.falseCoverage)}`);
  assert.ok(avg(mean.correctForeground) > 0.75, `foreground not salient: ${avg(mean.correctForeground)}`);
});

test('error rates: zero gives clean saliency, defaults are realised, one is everywhere', () => {
  const clean = new SaliencyScore();
  for (const s of all(synthetic({ train: 40, val: 0, missingClass: 0, missingObject: 0, falseCoverage: 0 }))) {
    assert.equal([s.errors!.missingClasses, s.errors!.partialObjects, s.errors!.falsePatches], [[], [], 0]);
    clean.add(s.saliency, s.mask!);
  }
  const q = clean.summary();
  assert.ok(q.precision > 0.9 && q.recall > 0.9, JSON.stringify(q));

  const ds = synthetic({ train: 400, val: 0, seed: 5 });
  const stats = new SyntheticStats(6);
  let images = 0, missingClass = 0, falseCoverage = 0, eligible = 0, partial = 0;
  for (const s of all(ds)) {
    stats.add(s, 'train');
    const e = s.errors!;
    images++;
    missingClass += e.missingClasses.length;
    falseCoverage += e.falsePatches;
    eligible += e.objectClasses.filter((c) => !e.missingClasses.includes(c)).length;
    partial += e.partialObjects.length;
  }
  const near = (got: number, want: number) => assert.ok(Math.abs(got - want) < 0.07, `${got} vs ${want}`);
  near(missingClass / images, 0.2);
  near(partial / eligible, 0.3);
  near(falseCoverage / images, 0.3);
  const summary = stats.format(ds.classes, ds.options).join('\n');
  assert.match(summary, /missing class\s+0\.20 ->/);
  assert.match(summary, /precision 0\.\d{3}, recall 0\.\d{3}/);

  for (const s of all(synthetic({ train: 20, val: 0, missingClass: 1, falseCoverage: 1 }))) {
    assert.is(s.errors!.missingClasses.length, 1);
    assert.is(s.errors!.falsePatches, 1);
  }
});

test('classes carry a colour cue: nearest mean colour names most objects', () => {
  const meanColour = (s: Sample, cls: number) => {
    const plane = s.height * s.width, sum = [0, 0, 0];
    let n = 0;
    for (let p = 0; p < plane; p++) if (s.mask![p] === cls) { n++; for (let c = 0; c < 3; c++) sum[c] += s.image[c * plane + p]; }
    return sum.map((v) => v / n);
  };
  const ds = synthetic({ train: 150, val: 60, seed: 9 });
  const centroid = Array.from({ length: 7 }, () => [0, 0, 0, 0]);
  for (const id of ds.ids('train')) {
    const s = ds.load(id);
    for (const c of s.labels) meanColour(s, c).forEach((v, i) => (centroid[c][i] += v)), centroid[c][3]++;
  }
  let right = 0, total = 0;
  for (const id of ds.ids('val')) {
    const s = ds.load(id);
    for (const c of s.labels) {
      const m = meanColour(s, c);
      const dist = (k: number) => m.reduce((acc, v, i) => acc + (v - centroid[k][i] / centroid[k][3]) ** 2, 0);
      const nearest = [1, 2, 3, 4, 5, 6].reduce((best, k) => (dist(k) < dist(best) ? k : best));
      right += nearest === c ? 1 : 0;
      total++;
    }
  }
  assert.ok(right / total > 0.85, `colour alone names ${right}/${total}`);
});

test('options are validated', () => {
  assert.throws(() => synthetic({ classes: 9 }), /classes = 9/);
  assert.throws(() => synthetic({ size: 8 }), /size = 8/);
  assert.throws(() => synthetic({ missingClass: 1.5 }), /missingClass/);
  assert.throws(() => synthetic({ train: 2.5 }), /train/);
  assert.throws(() => synthetic({ train: 2 }).load('train_00002'), /unknown synthetic image id/);
});

test('generation is fast: 200 images of 64x64 well under a second each', () => {
  const started = performance.now();
  all(synthetic({ train: 200, val: 0, seed: 1 }));
  const ms = performance.now() - started;
  assert.ok(ms < 5000, `${ms.toFixed(0)} ms`);
});

test.after(cleanup);
test.run();
