import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { augment, jitterColor, makeBatch, synthetic, type Sample } from '../../lib/data/index.js';
import { Rng } from '../../lib/core/random.js';
import { makeSample } from './helpers.js';

/** A blank sample with one marker pixel: label 1 in the mask, 1.0 in image channel 0 and in the saliency. */
function markerSample(height: number, width: number, y: number, x: number): Sample {
  const plane = height * width, p = y * width + x;
  const image = new Float32Array(3 * plane), saliency = new Float32Array(plane), mask = new Uint8Array(plane);
  image[p] = 1;
  saliency[p] = 1;
  mask[p] = 1;
  return { id: 'm', height, width, image, saliency, mask, labels: [1], errors: { objectClasses: [1], missingClasses: [], partialObjects: [], falsePatches: 0, pixels: mask.slice() } };
}

const markerCase = fc
  .record({ h: fc.integer({ min: 2, max: 24 }), w: fc.integer({ min: 2, max: 24 }), seed: fc.nat(), outH: fc.integer({ min: 1, max: 30 }), outW: fc.integer({ min: 1, max: 30 }) })
  .chain((c) => fc.record({ c: fc.constant(c), y: fc.integer({ min: 0, max: c.h - 1 }), x: fc.integer({ min: 0, max: c.w - 1 }) }));

test('augmentation keeps image, saliency, mask and error map aligned (marker pixel)', () => {
  fc.assert(
    fc.property(markerCase, fc.double({ min: 0.5, max: 2, noNaN: true }), ({ c, y, x }, scale) => {
      const out = augment(markerSample(c.h, c.w, y, x), new Rng(c.seed), { scale: [scale, scale], crop: [c.outH, c.outW] });
      assert.equal([out.height, out.width, out.image.length, out.saliency.length, out.mask!.length], [c.outH, c.outW, 3 * c.outH * c.outW, c.outH * c.outW, c.outH * c.outW]);
      // nearest-sampled maps move together (padding differs: 255 in masks, 0 in error maps)
      assert.equal(Array.from(out.mask!, (v) => v === 1), Array.from(out.errors!.pixels!, (v) => v === 1));
      for (let p = 0; p < out.mask!.length; p++) {
        if (out.mask![p] !== 1) continue;
        // the nearest source pixel is the marker, so bilinear gives it a weight of at least 1/4
        assert.ok(out.image[p] >= 0.25 - 1e-6 && out.saliency[p] >= 0.25 - 1e-6, `pixel ${p}: image ${out.image[p]}, saliency ${out.saliency[p]}`);
      }
    }),
    { numRuns: 300 },
  );
});

test('without rescaling the marker lands on exactly one pixel in all maps (crop + flip only)', () => {
  fc.assert(
    fc.property(markerCase, ({ c, y, x }) => {
      const out = augment(markerSample(c.h, c.w, y, x), new Rng(c.seed), { scale: [1, 1], crop: [c.outH, c.outW] });
      const where = (values: ArrayLike<number>, v: number) => Array.from(values).slice(0, c.outH * c.outW).flatMap((u, p) => (u === v ? [p] : []));
      const marker = where(out.mask!, 1);
      assert.is(marker.length, c.outH >= c.h && c.outW >= c.w ? 1 : marker.length); // a crop that holds the image keeps the marker
      assert.ok(marker.length <= 1);
      assert.equal(where(out.image, 1), marker);
      assert.equal(where(out.saliency, 1), marker);
    }),
    { numRuns: 300 },
  );
});

test('padding: ignore (255) in masks, zero in image and saliency; flip mirrors rows', () => {
  const s = makeSample('p', 4, 5, 3, 1);
  const out = augment(s, new Rng(0), { scale: [1, 1], crop: [8, 9], flip: false });
  const inside = out.mask!.filter((v) => v !== 255).length;
  assert.is(inside, s.mask!.filter((v) => v !== 255).length);
  let flipped: Sample | undefined;
  for (let seed = 0; !flipped; seed++) {
    const o = augment(s, new Rng(seed), { scale: [1, 1], crop: [4, 5] });
    if (o.mask![0] !== s.mask![0] || o.image[0] !== s.image[0]) flipped = o;
  }
  for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) assert.is(flipped.mask![y * 5 + x], s.mask![y * 5 + 4 - x]);
  const untouched = augment(s, new Rng(3), { scale: [1, 1], flip: false });
  assert.equal(untouched.image, s.image);
  assert.equal(untouched.mask, s.mask);
});

test('augmentation is deterministic per seed', () => {
  const s = synthetic({ train: 1, val: 0, size: 32 }).load('train_00000');
  assert.equal(augment(s, new Rng(5)), augment(s, new Rng(5)));
});

test('colour jitter changes the image only, within [0, 1]; everything else is the uncoloured augmentation', () => {
  fc.assert(
    fc.property(fc.nat(), fc.integer({ min: 1, max: 9 }), (seed, tenths) => {
      const s = synthetic({ train: 1, val: 0, size: 32, seed: seed % 1000 }).load('train_00000');
      const plain = augment(s, new Rng(seed), { scale: [0.8, 1.2], crop: 32 });
      const jittered = augment(s, new Rng(seed), { scale: [0.8, 1.2], crop: 32, color: tenths / 10 });
      assert.equal({ ...jittered, image: null }, { ...plain, image: null });
      assert.ok(jittered.image.every((v) => v >= 0 && v <= 1));
      assert.not.equal(jittered.image, plain.image);
    }),
    { numRuns: 50 },
  );
});

test('colour jitter of a uniform grey image is a brightness change by a factor in [1 - s, 1 + s]', () => {
  fc.assert(
    fc.property(fc.nat(), fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.double({ min: 0, max: 0.9, noNaN: true }), (seed, grey, strength) => {
      const image = new Float32Array(3 * 12).fill(grey);
      jitterColor(image, 12, strength, new Rng(seed));
      // contrast (towards the mean grey) and saturation (towards each pixel's grey) leave grey as it is
      const lo = Math.min(1, grey * (1 - strength)), hi = Math.min(1, grey * (1 + strength));
      for (const v of image) assert.ok(Math.abs(v - image[0]!) < 1e-6 && v >= lo - 1e-5 && v <= hi + 1e-5, `${v} outside [${lo}, ${hi}]`);
    }),
    { numRuns: 200 },
  );
});

test('makeBatch stacks NCHW arrays and multi-hot labels', () => {
  const ds = synthetic({ train: 3, val: 0, size: 32, classes: 5 });
  const samples = ds.ids('train').map((id) => ds.load(id));
  const noMask = { ...samples[2] };
  delete noMask.mask;
  const batch = makeBatch([samples[0], samples[1], noMask], 5);
  const plane = 32 * 32;
  assert.equal([batch.size, batch.height, batch.width, batch.images.length, batch.saliency.length, batch.labels.length, batch.masks.length], [3, 32, 32, 3 * 3 * plane, 3 * plane, 15, 3 * plane]);
  assert.equal(batch.ids, samples.map((s) => s.id));
  assert.equal(batch.images.subarray(3 * plane, 6 * plane), samples[1].image);
  assert.equal(batch.saliency.subarray(plane, 2 * plane), samples[1].saliency);
  assert.equal(batch.masks.subarray(0, plane), samples[0].mask);
  assert.ok(batch.masks.subarray(2 * plane).every((v) => v === 255));
  samples.forEach((s, n) => {
    for (let c = 1; c <= 5; c++) assert.is(batch.labels[n * 5 + c - 1], s.labels.includes(c) ? 1 : 0);
  });
  assert.ok(batch.saliencyErrors);
  assert.is(batch.valid, undefined, 'no padding, no valid map');
});

test('makeBatch pads samples of other sizes to the largest (bottom and right), marking the padding', () => {
  const a = makeSample('a', 3, 5, 4, 1), b = makeSample('b', 4, 2, 4, 2);
  const batch = makeBatch([a, b], 4);
  assert.equal([batch.height, batch.width], [4, 5]);
  const plane = 20;
  for (const [n, s] of [[0, a], [1, b]] as const) {
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 5; x++) {
        const p = n * plane + y * 5 + x;
        const inside = y < s.height && x < s.width;
        assert.is(batch.valid![p], inside ? 1 : 0);
        assert.is(batch.masks[p], inside ? s.mask![y * s.width + x] : 255);
        assert.is(batch.saliency[p], inside ? s.saliency[y * s.width + x] : 0);
        for (let c = 0; c < 3; c++) assert.is(batch.images[(3 * n + c) * plane + y * 5 + x], inside ? s.image[c * s.height * s.width + y * s.width + x] : 0);
      }
  }
});

test.run();
