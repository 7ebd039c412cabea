/**
 * The real-object dataset builder, on small made-up cut-outs (the Debian package is not needed):
 * cut-out cropping and premultiplication, area downscaling, the train/val instance split, the
 * error record against the saliency map, and the measured error rates against their settings.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { SaliencyErrorType, labelsOfMask } from '../../lib/data/sample.js';
import { mixSeed } from '../../lib/data/sampling.js';
import { Rng } from '../../lib/core/random.js';
import { cutoutFromRgba, downscale, drawScene, realObjectsDataset, type Cutout, type ErrorRates, type Sources } from '../../bench/datasets/real-objects.js';

/** An opaque disc of one colour in a transparent square. */
function disc(name: string, side: number, rgb: [number, number, number]): Cutout {
  const rgba = new Uint8Array(4 * side * side);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
    if ((x + 0.5 - side / 2) ** 2 + (y + 0.5 - side / 2) ** 2 > (side / 2) ** 2) continue;
    rgba.set([...rgb, 255], 4 * (y * side + x));
  }
  return cutoutFromRgba(name, side, side, rgba)!;
}

const C = 3;
/** Train instances are red, val instances green, distractors blue, on a dark background. */
const sources: Sources = {
  classes: ['a', 'b', 'c'],
  objects: {
    train: Array.from({ length: C }, (_, c) => [disc(`t${c}`, 20, [255, 0, 0])]),
    val: Array.from({ length: C }, (_, c) => [disc(`v${c}`, 20, [0, 255, 0])]),
  },
  distractors: [disc('d', 16, [0, 0, 255])],
  backgrounds: [{ name: 'dark', height: 40, width: 40, rgb: new Float32Array(3 * 40 * 40).fill(0.05) }],
};
const size = 32;

test('cutoutFromRgba crops to the alpha bounding box and premultiplies', () => {
  const rgba = new Uint8Array(4 * 5 * 4); // 4 wide, 5 high; two pixels visible
  rgba.set([200, 100, 50, 255], 4 * (1 * 4 + 1));
  rgba.set([100, 100, 100, 128], 4 * (3 * 4 + 2));
  const c = cutoutFromRgba('x', 4, 5, rgba)!;
  assert.equal([c.height, c.width], [3, 2]);
  assert.ok(Math.abs(c.rgb[0]! - 200 / 255) < 1e-6); // top-left of the crop, fully opaque
  assert.ok(Math.abs(c.alpha[5]! - 128 / 255) < 1e-6); // bottom-right
  assert.ok(Math.abs(c.rgb[5]! - (100 / 255) * (128 / 255)) < 1e-6);
  assert.is(cutoutFromRgba('empty', 2, 2, new Uint8Array(16)), null);
});

test('downscale by an integer factor is the mean of each block (so the image mean is kept)', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 1000 }), (h, w, f, seed) => {
    const rng = new Rng(seed);
    const H = h * f, W = w * f;
    const x = Float32Array.from({ length: 2 * H * W }, () => rng.next());
    const y = downscale(x, 2, H, W, h, w);
    for (let c = 0; c < 2; c++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
      let s = 0;
      for (let a = 0; a < f; a++) for (let b = 0; b < f; b++) s += x[c * H * W + (i * f + a) * W + j * f + b]!;
      if (Math.abs(y[c * h * w + i * w + j]! - s / (f * f)) > 1e-5) return false;
    }
    return true;
  }));
});

test('val scenes show only val instances, train scenes only train instances', () => {
  for (const split of ['train', 'val'] as const) {
    for (let i = 0; i < 20; i++) {
      const s = drawScene(sources, split, size, { missingClass: [0, 0, 0], missingPart: 0, salientDistractor: 0 }, new Rng(mixSeed(5, i)));
      const plane = size * size;
      for (let p = 0; p < plane; p++) {
        if (s.mask[p] === 0) continue;
        const [r, g] = [s.image[p]!, s.image[plane + p]!];
        assert.ok(split === 'train' ? r > g : g > r, `${split} scene ${i}: object pixel ${p} has r ${r}, g ${g}`);
      }
    }
  }
});

test('the error record explains every pixel where the saliency map disagrees with the truth', () => {
  const rates: ErrorRates = { missingClass: [0.3, 0.3, 0.3], missingPart: 0.5, salientDistractor: 0.6 };
  fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
    const s = drawScene(sources, 'train', size, rates, new Rng(seed));
    const errs = s.errors.pixels!;
    const intended = (p: number) => (s.mask[p]! > 0) !== (errs[p] !== SaliencyErrorType.none);
    for (let y = 2; y < size - 2; y++) for (let x = 2; x < size - 2; x++) {
      const p = y * size + x;
      // Blur softens edges: judge only pixels whose 5x5 neighbourhood is meant to be uniform.
      let uniform = true;
      for (let dy = -2; dy <= 2 && uniform; dy++) for (let dx = -2; dx <= 2; dx++) if (intended(p + dy * size + dx) !== intended(p)) { uniform = false; break; }
      if (uniform && (s.saliency[p]! > 0.5) !== intended(p)) return false;
      if (errs[p] === SaliencyErrorType.falseCoverage && s.mask[p] !== 0) return false;
      if ((errs[p] === SaliencyErrorType.missingClass || errs[p] === SaliencyErrorType.missingPart) && s.mask[p] === 0) return false;
      if (errs[p] === SaliencyErrorType.missingClass && !s.errors.missingClasses.includes(s.mask[p]!)) return false;
    }
    return true;
  }), { numRuns: 40 });
});

test('measured per-class miss rates match their settings within sampling error', () => {
  const rates: ErrorRates = { missingClass: [0.1, 0.5, 0.9], missingPart: 0, salientDistractor: 0 };
  const data = realObjectsDataset(sources, { train: 400, val: 1, size, seed: 3, rates });
  const present = [0, 0, 0], missed = [0, 0, 0];
  for (const id of data.ids('train')) {
    const s = data.load(id);
    for (const c of s.labels) {
      present[c - 1]++;
      if (s.errors!.missingClasses.includes(c)) missed[c - 1]++;
    }
  }
  rates.missingClass.forEach((r, c) => {
    const n = present[c]!, sd = Math.sqrt((r * (1 - r)) / n);
    assert.ok(Math.abs(missed[c]! / n - r) < 4 * sd, `class ${c + 1}: ${missed[c]}/${n} missed, rate ${r}`);
  });
});

test('the dataset is deterministic per seed, labels match masks, and unknown ids are refused', () => {
  const a = realObjectsDataset(sources, { train: 3, val: 2, size, seed: 1 });
  const b = realObjectsDataset(sources, { train: 3, val: 2, size, seed: 1 });
  const c = realObjectsDataset(sources, { train: 3, val: 2, size, seed: 2 });
  const s = a.load('val_0001');
  assert.equal(s.image, b.load('val_0001').image);
  assert.not.equal(s.image, c.load('val_0001').image);
  assert.equal(s.labels, labelsOfMask(s.mask!));
  assert.ok(s.labels.length >= 1);
  assert.equal(a.ids('val'), ['val_0000', 'val_0001']);
  for (const bad of ['val_0002', 'train_3', 'test_0000']) assert.throws(() => a.load(bad), /unknown image id/);
});

test.run();
