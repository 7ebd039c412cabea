import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { CLASS_MISS_DEFAULT, SALIENCY_ERROR_MODELS, SaliencyErrorType, SyntheticStats, labelsOfMask, resolveSyntheticOptions, synthetic, writeVocDataset, type Sample } from '../../lib/data/index.js';
import { gaussianBlur } from '../../lib/data/blur.js';
import { generateScene } from '../../lib/data/synthetic.js';
import { HEAD_CUT, type Scene } from '../../lib/data/synthetic-scene.js';
import { objectDown } from '../../lib/data/shapes.js';
import { SALIENCY_NOISE, saliencyBlurSigma } from '../../lib/data/synthetic-saliency.js';
import { SaliencyScore } from '../../lib/data/saliency-score.js';
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

/** Chebyshev distance from every pixel to the nearest pixel where `on` holds (Infinity if none). */
function distanceTo(on: (p: number) => boolean, size: number): Float64Array {
  const d = new Float64Array(size * size).fill(Infinity);
  for (let p = 0; p < d.length; p++) if (on(p)) d[p] = 0;
  // Two passes of a chessboard distance transform.
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const p = y * size + x;
    for (const [dx, dy] of [[-1, -1], [0, -1], [1, -1], [-1, 0]]) if (x + dx >= 0 && x + dx < size && y + dy >= 0) d[p] = Math.min(d[p], d[(y + dy) * size + x + dx] + 1);
  }
  for (let y = size - 1; y >= 0; y--) for (let x = size - 1; x >= 0; x--) {
    const p = y * size + x;
    for (const [dx, dy] of [[1, 1], [0, 1], [-1, 1], [1, 0]]) if (x + dx >= 0 && x + dx < size && y + dy < size) d[p] = Math.min(d[p], d[(y + dy) * size + x + dx] + 1);
  }
  return d;
}

/**
 * The error record covers every corrupted pixel, precisely: (1) the binary map before softening is
 * the true foreground flipped exactly where the record has an error type; (2) each recorded type
 * is where its story says (a missed class's pixels, a lost part of a listed object, a visible
 * distractor or companion on background); (3) the soft map equals the blurred true foreground up
 * to the noise bound everywhere except in the soft-edge band: the pixels within the blur kernel's
 * radius ceil(3 sigma) (Chebyshev) of a recorded pixel, the only ones a flipped pixel can reach.
 */
for (const errors of SALIENCY_ERROR_MODELS) {
  test(`${errors} errors: the record covers every corrupted pixel, up to the soft-edge band`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 999 }), fc.constantFrom(32, 48, 64), fc.double({ min: 0, max: 1, noNaN: true }), (seed, index, size, rate) => {
        const options = resolveSyntheticOptions({ seed, size, errors, classMiss: [rate], partMiss: rate, contactMiss: rate, contextSalient: rate, distractorSalient: rate, missingClass: rate, missingObject: rate, falseCoverage: rate });
        const { scene, saliency: { saliency, salient, errors: e } } = generateScene(options, 'train', index);
        const { mask } = scene, pixels = e.pixels;
        for (let p = 0; p < mask.length; p++) assert.is(salient[p], (mask[p] > 0 ? 1 : 0) ^ (pixels[p] !== SaliencyErrorType.none ? 1 : 0), `pixel ${p}`);
        const seen = new Set<number>();
        for (let p = 0; p < mask.length; p++) {
          const k = scene.objectOwner[p];
          switch (pixels[p]) {
            case SaliencyErrorType.missingClass: assert.ok(e.missingClasses.includes(mask[p])); break;
            case SaliencyErrorType.missingPart: assert.ok(mask[p] > 0 && e.partialObjects.includes(k) && !e.missingClasses.includes(mask[p])); break;
            case SaliencyErrorType.falseCoverage: assert.is(mask[p], 0); if (errors === 'systematic') assert.ok(scene.distractorOwner[p] >= 0); break;
            case SaliencyErrorType.context: assert.ok(mask[p] === 0 && e.systematic!.salientCompanions.includes(scene.companionOwner[p])); break;
            default: assert.is(pixels[p], SaliencyErrorType.none);
          }
          seen.add(pixels[p]);
        }
        assert.is(seen.has(SaliencyErrorType.missingClass), e.missingClasses.length > 0);
        assert.is(seen.has(SaliencyErrorType.missingPart), e.partialObjects.length > 0);
        assert.is(seen.has(SaliencyErrorType.falseCoverage), e.falsePatches > 0);
        assert.is(seen.has(SaliencyErrorType.context), (e.systematic?.salientCompanions.length ?? 0) > 0);

        const band = Math.ceil(3 * saliencyBlurSigma(size));
        const distance = distanceTo((p) => pixels[p] !== SaliencyErrorType.none, size);
        const softTruth = gaussianBlur(Float32Array.from(mask, (m) => (m > 0 ? 1 : 0)), size, size, saliencyBlurSigma(size));
        for (let p = 0; p < mask.length; p++) {
          if (distance[p] > band) assert.ok(Math.abs(saliency[p] - softTruth[p]) <= SALIENCY_NOISE.bound + 1e-6, `pixel ${p}: ${saliency[p]} vs ${softTruth[p]}`);
        }
      }),
      { numRuns: 40, seed: 12 },
    );
  });
}

test('corrupted pixels read as corrupted: mean saliency of missed pixels low, of added ones high', () => {
  for (const errors of SALIENCY_ERROR_MODELS) {
    const mean = { missing: [0, 0], added: [0, 0], correctForeground: [0, 0] };
    const add = (acc: number[], v: number) => { acc[0] += v; acc[1]++; };
    for (const s of all(synthetic({ train: 80, val: 0, seed: 2, errors }))) {
      const pixels = s.errors!.pixels!;
      for (let p = 0; p < pixels.length; p++) {
        const t = pixels[p];
        if (t === SaliencyErrorType.missingClass || t === SaliencyErrorType.missingPart) add(mean.missing, s.saliency[p]);
        else if (t !== SaliencyErrorType.none) add(mean.added, s.saliency[p]);
        else if (s.mask![p] > 0) add(mean.correctForeground, s.saliency[p]);
      }
    }
    const avg = (acc: number[]) => acc[0] / acc[1];
    assert.ok(avg(mean.missing) < 0.35, `${errors}: missing pixels look salient: ${avg(mean.missing)}`);
    assert.ok(avg(mean.added) > 0.65, `${errors}: added pixels not salient: ${avg(mean.added)}`);
    assert.ok(avg(mean.correctForeground) > 0.75, `${errors}: foreground not salient: ${avg(mean.correctForeground)}`);
  }
});

/**
 * Every measured rate is a count of independent Bernoulli draws, one per chance (image with the
 * class, eligible object, contact, visible companion, visible distractor), so hits ~ Binomial(n, p):
 * accept |hits - n p| <= 4.5 sd + 0.5 (a false alarm about once in 150,000 checks; exact at p 0 or 1).
 */
function assertBinomial(hits: number, n: number, p: number, what: string): void {
  const bound = 4.5 * Math.sqrt(n * p * (1 - p)) + 0.5;
  assert.ok(Math.abs(hits - n * p) <= bound, `${what}: ${hits}/${n} vs rate ${p} (bound ${bound.toFixed(1)})`);
}

test('systematic model: measured rates match the settings within binomial sampling error', () => {
  const rate = fc.double({ min: 0, max: 1, noNaN: true });
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.array(rate, { minLength: 4, maxLength: 4 }), rate, rate, rate, rate, (seed, classMiss, partMiss, contactMiss, contextSalient, distractorSalient) => {
      const ds = synthetic({ train: 100, val: 0, size: 32, classes: 4, seed, classMiss, partMiss, contactMiss, contextSalient, distractorSalient });
      const n = { cls: [0, 0, 0, 0, 0], missed: [0, 0, 0, 0, 0], eligible: 0, kind: 0, contacts: 0, contactParts: 0, companions: 0, context: 0, distractors: 0, salient: 0 };
      for (const s of all(ds)) {
        const e = s.errors!, sys = e.systematic!;
        for (const c of new Set(e.objectClasses)) { n.cls[c]++; if (e.missingClasses.includes(c)) n.missed[c]++; }
        n.eligible += e.objectClasses.filter((c) => !e.missingClasses.includes(c)).length;
        n.kind += sys.kindParts.length;
        n.contacts += sys.contacts.length;
        n.contactParts += sys.contactParts.length;
        n.companions += sys.companions.length;
        n.context += sys.salientCompanions.length;
        n.distractors += sys.distractors;
        n.salient += sys.salientDistractors;
      }
      for (let c = 1; c <= 4; c++) assertBinomial(n.missed[c], n.cls[c], classMiss[c - 1], `class ${c} missed`);
      assertBinomial(n.kind, n.eligible, partMiss, 'shape part missed');
      assertBinomial(n.contactParts, n.contacts, contactMiss, 'contact side missed');
      assertBinomial(n.context, n.companions, contextSalient, 'companion salient');
      assertBinomial(n.salient, n.distractors, distractorSalient, 'distractor salient');
    }),
    { numRuns: 6, seed: 7 },
  );
});

test('systematic defaults: per-class rates differ, companions appear, and epsx synth prints them', () => {
  const ds = synthetic({ train: 120, val: 0, seed: 5 });
  assert.equal(ds.options.errors, 'systematic');
  assert.equal(ds.options.classMiss, ['disc', 'square', 'triangle', 'ring', 'cross', 'star'].map((c) => CLASS_MISS_DEFAULT[c as keyof typeof CLASS_MISS_DEFAULT]));
  const stats = new SyntheticStats(6);
  let companions = 0;
  for (const s of all(ds)) { stats.add(s, 'train'); companions += s.errors!.systematic!.companions.length; }
  assert.ok(companions > 20, `only ${companions} companions`);
  const summary = stats.format(ds.classes, ds.options).join('\n');
  assert.match(summary, /systematic model/);
  assert.match(summary, /missing class ring\s+0\.70 ->\s+\d+\.\d% of \d+ images with a ring/);
  assert.match(summary, /context salient\s+0\.80 ->/);
  assert.match(summary, /precision 0\.\d{3}, recall 0\.\d{3}/);
  // The scene does not depend on the error model: the same images, only the saliency differs.
  const random = synthetic({ train: 4, val: 0, seed: 5, errors: 'random' });
  for (const id of random.ids('train')) assert.equal(random.load(id).image, ds.load(id).image);
});

test('random model: zero gives clean saliency, rates are realised within binomial error, one is everywhere', () => {
  const clean = new SaliencyScore();
  for (const s of all(synthetic({ train: 40, val: 0, errors: 'random', missingClass: 0, missingObject: 0, falseCoverage: 0 }))) {
    assert.equal([s.errors!.missingClasses, s.errors!.partialObjects, s.errors!.falsePatches, s.errors!.systematic], [[], [], 0, undefined]);
    clean.add(s.saliency, s.mask!);
  }
  const q = clean.summary();
  assert.ok(q.precision > 0.9 && q.recall > 0.9, JSON.stringify(q));

  const ds = synthetic({ train: 200, val: 0, seed: 5, errors: 'random' });
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
  assertBinomial(missingClass, images, 0.2, 'missing class');
  // A cut or patch that happens to fall off the object or onto objects changes nothing and is not
  // recorded; that is rare enough to stay far inside the bound.
  assertBinomial(partial, eligible, 0.3, 'missing part');
  assertBinomial(falseCoverage, images, 0.3, 'false coverage');
  const summary = stats.format(ds.classes, ds.options).join('\n');
  assert.match(summary, /random model/);
  assert.match(summary, /missing class\s+0\.20 ->/);

  for (const s of all(synthetic({ train: 20, val: 0, errors: 'random', missingClass: 1 }))) assert.is(s.errors!.missingClasses.length, 1);
});

/**
 * Share of val objects whose mean colour over `region` (pixels of object k of a scene) is nearest
 * to their own class's mean over the train objects: how much of the class that region shows.
 */
function colourNamesClass(options: Parameters<typeof synthetic>[0], region: (scene: Scene, k: number) => number[]): number {
  const o = resolveSyntheticOptions(options);
  const objects = (split: 'train' | 'val', count: number) => Array.from({ length: count }, (_, i) => generateScene(o, split, i).scene).flatMap((scene) =>
    scene.objectClasses.map((cls, k) => {
      const plane = scene.size * scene.size, pixels = region(scene, k);
      return { cls, colour: [0, 1, 2].map((c) => pixels.reduce((acc, p) => acc + scene.image[c * plane + p]!, 0) / pixels.length), n: pixels.length };
    }).filter((x) => x.n >= 4));
  const centroid = Array.from({ length: o.classes + 1 }, () => [0, 0, 0, 0]);
  for (const { cls, colour } of objects('train', o.train)) colour.forEach((v, i) => (centroid[cls]![i] += v)), centroid[cls]![3]++;
  const val = objects('val', o.val);
  const right = val.filter(({ cls, colour }) => {
    const dist = (k: number) => colour.reduce((acc, v, i) => acc + (v - centroid[k]![i]! / centroid[k]![3]!) ** 2, 0);
    return Array.from({ length: o.classes }, (_, i) => i + 1).reduce((best, k) => (dist(k) < dist(best) ? k : best)) === cls;
  }).length;
  return right / val.length;
}
const visiblePixels = (scene: Scene, k: number) => [...scene.objectOwner.keys()].filter((p) => scene.objectOwner[p] === k);
const headPixels = (inHead: boolean) => (scene: Scene, k: number) => {
  const down = objectDown(scene.objectPlacements[k]!, scene.size);
  return visiblePixels(scene, k).filter((p) => (down(p) < HEAD_CUT) === inHead);
};

test('classes carry a colour cue: nearest mean colour names most objects', () => {
  const rate = colourNamesClass({ train: 150, val: 60, seed: 9 }, visiblePixels);
  assert.ok(rate > 0.85, `colour alone names ${rate}`);
});

test('appearance parts: the head names the class, the body does not', () => {
  const options = { train: 150, val: 60, seed: 9, appearance: 'parts' as const };
  const head = colourNamesClass(options, headPixels(true)), body = colourNamesClass(options, headPixels(false));
  assert.ok(head > 0.85, `head colour names ${head}`);
  assert.ok(body < 0.4, `body colour names ${body} (chance is 1/6)`);
});

test('options are validated', () => {
  assert.throws(() => synthetic({ classes: 9 }), /classes = 9/);
  assert.throws(() => synthetic({ size: 8 }), /size = 8/);
  assert.throws(() => synthetic({ missingClass: 1.5 }), /missingClass/);
  assert.throws(() => synthetic({ classes: 3, classMiss: [0.1, 0.2] }), /classMiss = \[0.1,0.2\] must be one rate in 0..1, or one per class \(3\)/);
  assert.throws(() => synthetic({ classMiss: [2] }), /classMiss/);
  assert.throws(() => synthetic({ errors: 'sometimes' as 'random' }), /errors = sometimes is not one of systematic, random/);
  assert.throws(() => synthetic({ appearance: 'stripes' as 'parts' }), /appearance = stripes is not one of whole, parts/);
  assert.equal(synthetic({ classes: 3, classMiss: [0.4] }).options.classMiss, [0.4, 0.4, 0.4]);
  assert.throws(() => synthetic({ train: 2.5 }), /train/);
  assert.throws(() => synthetic({ train: 2 }).load('train_00002'), /unknown synthetic image id/);
});

test.after(cleanup);
test.run();
