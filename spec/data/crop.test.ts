/**
 * Crop and padding for images of any size: every pixel of an augmented crop is either an
 * image pixel carrying its own label, saliency and colour, or padding that is ignored
 * (mask 255, valid 0); batches of mixed sizes come out at one size; and the classifier's
 * losses take no account of what lies in the padding.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { augment, fitSample, makeBatch, type Sample } from '../../lib/data/index.js';
import { maskAtFileSize, maskAtSampleSize } from '../../lib/data/size-limit.js';
import { Rng, Tensor, softmax, tensor, withPrecision } from '../../lib/index.js';
import { epsSaliencyLoss, irdSaliencyDetails } from '../../lib/losses/index.js';
import { undroppedSaliencyLoss } from '../../lib/losses/ird.js';
import { validAtMap, validMean } from '../../lib/losses/maps.js';
import { BatchSampler, trainingCrop } from '../../lib/train/sampler.js';
import { assertGradient } from '../helpers/gradcheck.js';
import { lossInputs, marginToHalf } from '../losses/fixtures.js';
import { makeSample, throwsUserError } from './helpers.js';

/**
 * A sample whose pixels say where they come from: image channel 0 = y/H and saliency = y/H
 * (bilinear keeps a linear ramp linear), channel 1 = x/W, channel 2 = 1; the mask holds the
 * row index (or the column index with `columns`), read back by nearest neighbour.
 */
function rampSample(H: number, W: number, columns: boolean): Sample {
  const plane = H * W;
  const image = new Float32Array(3 * plane), saliency = new Float32Array(plane), mask = new Uint8Array(plane);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      image[p] = y / H;
      image[plane + p] = x / W;
      image[2 * plane + p] = 1;
      saliency[p] = y / H;
      mask[p] = columns ? x : y;
    }
  return { id: 'ramp', height: H, width: W, image, saliency, mask, labels: [1] };
}

const geometry = fc.record({
  H: fc.integer({ min: 1, max: 40 }),
  W: fc.integer({ min: 1, max: 40 }),
  outH: fc.integer({ min: 1, max: 48 }),
  outW: fc.integer({ min: 1, max: 48 }),
  scale: fc.double({ min: 0.3, max: 2.5, noNaN: true }),
  flip: fc.boolean(),
  seed: fc.nat(),
});

test('every pixel of a padded crop is an image pixel with its own label, colour and saliency, or ignored padding', () => {
  fc.assert(
    fc.property(geometry, ({ H, W, outH, outW, scale, flip, seed }) => {
      const opts = { scale: [scale, scale] as [number, number], crop: [outH, outW] as [number, number], flip };
      // The same seed draws the same crop and flip: one pass reads rows back, the other columns.
      const rows = augment(rampSample(H, W, false), new Rng(seed), opts);
      const cols = augment(rampSample(H, W, true), new Rng(seed), opts);
      const plane = outH * outW;
      let validCount = 0;
      for (let p = 0; p < plane; p++) {
        const valid = rows.valid ? rows.valid[p] : 1;
        assert.is(cols.valid ? cols.valid[p] : 1, valid);
        if (valid === 0) {
          assert.is(rows.mask![p], 255, `padding pixel ${p} is ignored in the mask`);
          assert.equal([rows.image[p], rows.image[plane + p], rows.image[2 * plane + p], rows.saliency[p]], [0, 0, 0, 0]);
          continue;
        }
        validCount++;
        assert.ok(rows.mask![p]! < H && cols.mask![p]! < W, `pixel ${p} carries a source label`);
        assert.ok(Math.abs(rows.image[2 * plane + p]! - 1) < 1e-6, 'image pixels only');
        // The bilinear source position and the nearest source pixel agree to half a pixel,
        // in image and saliency alike: the maps stay aligned under rescale, crop and flip.
        const y = rows.image[p]! * H, x = rows.image[plane + p]! * W;
        assert.ok(Math.abs(y - rows.mask![p]!) <= 0.5 + 1e-4, `row: bilinear ${y} vs nearest ${rows.mask![p]}`);
        assert.ok(Math.abs(x - cols.mask![p]!) <= 0.5 + 1e-4, `column: bilinear ${x} vs nearest ${cols.mask![p]}`);
        assert.ok(Math.abs(rows.saliency[p]! - rows.image[p]!) < 1e-6);
      }
      // The crop holds as much of the rescaled image as fits: no gap between image and padding.
      const scaledH = Math.max(1, Math.round(H * scale)), scaledW = Math.max(1, Math.round(W * scale));
      assert.is(validCount, Math.min(outH, scaledH) * Math.min(outW, scaledW));
      assert.is(rows.valid === undefined, validCount === plane, 'valid is given exactly when there is padding');
    }),
    { numRuns: 300 },
  );
});

test('a flip mirrors image, saliency and mask together (marker pixel)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 2, max: 12 }), fc.nat(), fc.nat(), (H, W, at, seed) => {
      const p = at % (H * W), y = Math.floor(p / W), x = p % W;
      const plane = H * W;
      const s: Sample = { id: 'm', height: H, width: W, image: new Float32Array(3 * plane), saliency: new Float32Array(plane), mask: new Uint8Array(plane), labels: [1] };
      s.image[plane + p] = 1;
      s.saliency[p] = 1;
      s.mask![p] = 1;
      const out = augment(s, new Rng(seed), { scale: [1, 1] });
      const mirrored = out.mask![y * W + x] !== 1;
      const q = y * W + (mirrored ? W - 1 - x : x);
      assert.equal([out.mask![q], out.image[plane + q], out.saliency[q]], [1, 1, 1]);
      assert.is(out.mask!.reduce((a, v) => a + v, 0), 1);
      assert.is(out.image.reduce((a, v) => a + v, 0), 1);
    }),
    { numRuns: 200 },
  );
});

test('trainingCrop: none for one size; else the median short side rounded to a multiple of 8', () => {
  assert.is(trainingCrop([{ height: 64, width: 64 }, { height: 64, width: 64 }]), null);
  assert.is(trainingCrop([{ height: 60, width: 80 }, { height: 96, width: 64 }, { height: 75, width: 100 }]), 64);
  assert.is(trainingCrop([{ height: 3, width: 5 }, { height: 4, width: 4 }]), 8);
  fc.assert(
    fc.property(fc.array(fc.record({ height: fc.integer({ min: 1, max: 600 }), width: fc.integer({ min: 1, max: 600 }) }), { minLength: 2, maxLength: 20 }), (sizes) => {
      const crop = trainingCrop(sizes);
      if (crop === null) return assert.ok(sizes.every((s) => s.height === sizes[0]!.height && s.width === sizes[0]!.width));
      assert.is(crop % 8, 0);
      // At least half the images have a short side within 4 pixels of the crop or above it, and at least half within 4 or below it.
      const short = sizes.map((s) => Math.min(s.height, s.width));
      assert.ok(short.filter((v) => v >= crop - 4).length * 2 >= sizes.length || crop === 8);
      assert.ok(short.filter((v) => v <= crop + 4).length * 2 >= sizes.length);
    }),
  );
});

test('batches of mixed sizes: every batch has the training crop size, padding marked and ignored', () => {
  const sizes: Array<[number, number]> = [[12, 20], [20, 12], [16, 16], [9, 30], [25, 18], [14, 11]];
  const samples = sizes.map(([h, w], i) => makeSample(`s${i}`, h, w, 3, i));
  const sampler = new BatchSampler(samples, { batchSize: 3, seed: 1, numClasses: 3, augment: { scale: [0.7, 1.3], flip: true } });
  assert.is(sampler.augment!.crop, 16);
  for (let epoch = 0; epoch < 3; epoch++)
    for (let b = 0; b < sampler.batchesPerEpoch; b++) {
      const batch = sampler.batch(epoch, b);
      assert.equal([batch.height, batch.width, batch.size], [16, 16, 3]);
      if (!batch.valid) continue;
      for (let p = 0; p < batch.masks.length; p++) if (batch.valid[p] === 0) assert.is(batch.masks[p], 255);
    }
  // Without augmentation a batch is padded to its largest image instead.
  const plain = new BatchSampler(samples, { batchSize: 6, seed: 1, numClasses: 3, augment: null }).batch(0, 0);
  assert.equal([plain.height, plain.width], [25, 30]);
  assert.ok(plain.valid);
});

test('the saliency losses ignore padding; an all-valid mask gives the unmasked loss', () => {
  fc.assert(
    fc.property(fc.nat(), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 2, max: 5 }), fc.integer({ min: 2, max: 5 }), (seed, N, h, w) => {
      const x = lossInputs(N, 2, h, w, seed);
      const rng = new Rng(seed + 1);
      const validData = Array.from({ length: N * h * w }, () => (rng.next() < 0.7 ? 1 : 0));
      const valid = tensor(validData, [N, 1, h, w]);
      const ones = tensor(validData.map(() => 1), [N, 1, h, w]);
      const t = (r: { data: number[]; shape: number[] }) => tensor(r.data, r.shape);
      // Saliency and logits changed on padding only.
      const scrambled = (r: { data: number[]; shape: number[] }, perPixel: number) =>
        tensor(r.data.map((v, i) => (validData[(Math.floor(i / (perPixel * h * w)) * h * w) + (i % (h * w))] ? v : 1 - v)), r.shape);
      const sal2 = scrambled(x.saliency, 1), z2 = scrambled(x.z, 3);
      const eps = (z: Tensor, s: Tensor, v?: Tensor) => epsSaliencyLoss(z, t(x.labels), s, v ? { valid: v } : {}).item();
      assert.ok(Math.abs(eps(t(x.z), t(x.saliency), valid) - eps(z2, sal2, valid)) < 1e-6);
      assert.ok(Math.abs(eps(t(x.z), t(x.saliency), ones) - eps(t(x.z), t(x.saliency))) < 1e-6);
      const ird = (s: Tensor, v?: Tensor) => irdSaliencyDetails(t(x.z), t(x.labels), s, t(x.image), { dilations: [1], iterations: 2, ...(v && { valid: v }) });
      // N at a valid pixel depends on that pixel's saliency only, so saliency on padding changes nothing.
      assert.ok(Math.abs(ird(t(x.saliency), valid).loss.item() - ird(sal2, valid).loss.item()) < 1e-6);
      assert.ok(Math.abs(ird(t(x.saliency), valid).dropped - ird(sal2, valid).dropped) < 1e-6);
      assert.ok(Math.abs(ird(t(x.saliency), ones).loss.item() - ird(t(x.saliency)).loss.item()) < 1e-6);
      // The class scores: GAP over valid map pixels only.
      const scores = validMean(t(x.z), valid).data, scores2 = validMean(z2, valid).data;
      scores.forEach((v, i) => assert.ok(Math.abs(v - scores2[i]!) < 1e-6));
    }),
    { numRuns: 40 },
  );
});

test('gradients of the padding-aware losses match central differences (float64)', () => {
  fc.assert(
    fc.property(fc.nat(), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 4 }), (seed, N, h, w) => {
      const x = lossInputs(N, 2, h, w, seed);
      const rng = new Rng(seed + 3);
      const valid = { data: Array.from({ length: N * h * w }, () => (rng.next() < 0.7 ? 1 : 0)), shape: [N, 1, h, w] };
      // The overlap test binarises P: skip draws where the check's tiny steps could flip it.
      fc.pre(marginToHalf(withPrecision('float64', () => softmax(tensor(x.z.data, x.z.shape), 1).data)) > 1e-4);
      assertGradient((z, v) => validMean(z!, v!), [x.z, valid], { skip: [1] });
      assertGradient((z, y, s, v) => epsSaliencyLoss(z!, y!, s!, { valid: v! }), [x.z, x.labels, x.saliency, valid], { skip: [1, 3] });
      assertGradient((z, y, s, v) => undroppedSaliencyLoss(z!, y!, s!, v!), [x.z, x.labels, x.saliency, valid], { skip: [1, 3] });
    }),
    { numRuns: 15 },
  );
});

test('fitSample: at most maxPixels, aspect kept, file size remembered; masks go back and forth without loss', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 2500 }), fc.nat(), (H, W, maxPixels, seed) => {
      const s = makeSample('x', H, W, 3, seed);
      const f = fitSample(s, maxPixels);
      if (H * W <= maxPixels) return assert.is(f, s);
      assert.ok(f.height * f.width <= maxPixels && f.height <= H && f.width <= W);
      assert.ok(Math.abs(f.height * W - f.width * H) <= Math.max(H, W), `aspect ${f.height}x${f.width} vs ${H}x${W}`);
      assert.equal(f.original, { height: H, width: W });
      // Area averages stay within the source's range; labels are source labels.
      const [lo, hi] = [Math.min(...s.image), Math.max(...s.image)];
      assert.ok(f.image.every((v) => v >= lo - 1e-6 && v <= hi + 1e-6));
      const labels = new Set(s.mask);
      assert.ok(f.mask!.every((v) => labels.has(v)));
      // Up to the file size (to write) and down again (to read back): the same mask.
      const file = maskAtFileSize(f, f.mask!);
      assert.equal([file.height, file.width], [H, W]);
      assert.equal(maskAtSampleSize(f, { data: file.mask, height: H, width: W }, 'm.png'), f.mask);
    }),
    { numRuns: 200 },
  );
  throwsUserError(() => maskAtSampleSize(makeSample('y', 4, 5, 3, 1), { data: new Uint8Array(6), height: 2, width: 3 }, 'y.png'), 'y.png: mask is 3x2 but image "y" is 5x4');
});

test('validAtMap: a map pixel is valid when its bilinear sample point lies in the image', () => {
  // 8x8 image, left 5 columns valid, at stride 4 -> 2x2 map: column 0 samples x = 1.5 (valid), column 1 x = 5.5 (padding).
  const v = new Float32Array(64);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 5; x++) v[y * 8 + x] = 1;
  assert.equal(Array.from(validAtMap(new Tensor(v, [1, 1, 8, 8]), [2, 2]).data), [1, 0, 1, 0]);
});

test.run();
