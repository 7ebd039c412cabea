/** pseudoMask: multi-scale flipped inference, max normalisation, background threshold, argmax. */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, Tensor, add, concat, mul, pamr, reshape, resizeBilinear, slice, softmax, sum, tensor, withPrecision } from '../../lib/index.js';
import { flipHorizontal, pseudoMask, pseudoMasks, type Localizer } from '../../lib/pseudo.js';
import { seedArb } from '../helpers/arbitrary.js';
import { assertClose } from '../losses/fixtures.js';

const f64 = <T>(fn: () => T): T => withPrecision('float64', fn);
const random = (n: number, rng: Rng, lo = 0, hi = 1) => Array.from({ length: n }, () => rng.uniform(lo, hi));
const sceneArb = fc.record({ C: fc.integer({ min: 1, max: 4 }), H: fc.integer({ min: 3, max: 8 }), W: fc.integer({ min: 3, max: 8 }), seed: seedArb });

/**
 * A per-pixel linear model (Z = A I + b) plus, unless symmetric, a left-to-right ramp, so
 * that it is not flip-equivariant. Maps come out at half resolution, like a strided net.
 */
function linearModel(C: number, seed: number, symmetric = false): Localizer {
  const rng = new Rng(seed);
  const A = tensor(random((C + 1) * 3, rng, -4, 4), [1, C + 1, 3, 1, 1]);
  const b = tensor(random(C + 1, rng, -1, 1), [1, C + 1, 1, 1]);
  const slope = random(C + 1, rng, -3, 3);
  return (images) => {
    const [B, K, H, W] = images.shape as [number, number, number, number];
    let z = add(sum(mul(reshape(images, [B, 1, K, H, W]), A), 2), b);
    if (!symmetric) z = add(z, tensor(slope.flatMap((s) => Array.from({ length: W }, (_, x) => (s * x) / W)), [1, C + 1, 1, W]));
    return resizeBilinear(z, [Math.ceil(H / 2), Math.ceil(W / 2)]);
  };
}

function scene(C: number, H: number, W: number, seed: number): { image: Tensor; labels: number[] } {
  const rng = new Rng(seed + 1);
  const labels = Array.from({ length: C }, () => (rng.next() < 0.5 ? 1 : 0));
  return { image: tensor(random(3 * H * W, rng), [1, 3, H, W]), labels };
}

/**
 * mask b = flip(mask a), except at pixels where a's top two scores are within 1e-9: there the
 * argmax follows float rounding (e.g. two classes that both peak, at 1, on a mirrored pair).
 */
function assertMirrored(a: { mask: Uint8Array; scores: Tensor }, b: Uint8Array, W: number): void {
  const [K, H] = a.scores.shape as [number, number];
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      const top = Array.from({ length: K }, (_, k) => a.scores.data[k * H * W + p]!).sort((u, v) => v - u);
      if (K > 1 && top[0]! - top[1]! < 1e-9) continue;
      assert.is(b[y * W + (W - 1 - x)], a.mask[p], `pixel (${y},${x})`);
    }
}

/** A model that ignores the image and returns fixed logits at the image size. */
const constantModel = (z: Tensor): Localizer => (images) => concat(Array.from({ length: images.shape[0]! }, () => z), 0);

test('labels come only from present classes or background', () => {
  fc.assert(
    fc.property(sceneArb, ({ C, H, W, seed }) => {
      const { image, labels } = scene(C, H, W, seed);
      const { mask, classes } = pseudoMask(linearModel(C, seed), image, labels);
      assert.equal(classes, [0, ...labels.flatMap((y, i) => (y ? [i + 1] : []))]);
      assert.is(mask.length, H * W);
      assert.ok(mask.every((c) => c === 0 || labels[c - 1] === 1));
    }),
    { numRuns: 30 },
  );
});

test('each present class wins at the peak of its map; background wins where every class is below the threshold', () => {
  fc.assert(
    fc.property(sceneArb, fc.double({ min: 0.05, max: 0.9, noNaN: true }), ({ C, H, W, seed }, threshold) => {
      const { image, labels } = scene(C, H, W, seed);
      const { mask, scores, classes } = pseudoMask(linearModel(C, seed), image, labels, { threshold });
      const HW = H * W;
      const s = (k: number, p: number) => scores.data[k * HW + p]!;
      for (let p = 0; p < HW; p++) assertClose([s(0, p)], [threshold], 1e-6, 'background score');
      for (let k = 1; k < classes.length; k++) {
        let peak = 0;
        for (let p = 1; p < HW; p++) if (s(k, p) > s(k, peak)) peak = p;
        assert.is(s(k, peak), 1, 'a class map divided by its max peaks at 1');
        const shared = classes.some((_, j) => j !== k && j > 0 && s(j, peak) === 1);
        if (!shared) assert.is(mask[peak], classes[k]);
      }
      for (let p = 0; p < HW; p++) if (classes.every((_, k) => k === 0 || s(k, p) < threshold)) assert.is(mask[p], 0);
    }),
    { numRuns: 30 },
  );
});

test('flip inference makes any model flip-consistent: mask(flip I) = flip(mask(I))', () => {
  fc.assert(
    fc.property(sceneArb, fc.boolean(), ({ C, H, W, seed }, withPamr) => {
      f64(() => {
        const { image, labels } = scene(C, H, W, seed);
        const model = linearModel(C, seed); // not flip-equivariant on its own
        const opts = { pamr: withPamr && { dilations: [1, 2], iterations: 3 } };
        const a = pseudoMask(model, image, labels, opts);
        const b = pseudoMask(model, flipHorizontal(image), labels, opts);
        assertClose(b.scores.data, flipHorizontal(a.scores).data, 1e-9, 'scores');
        assertMirrored(a, b.mask, W);
      });
    }),
    { numRuns: 30 },
  );
});

test('a symmetric model on a mirror-symmetric image gives a mirror-symmetric mask (even without flip inference)', () => {
  fc.assert(
    fc.property(sceneArb, ({ C, H, W, seed }) => {
      f64(() => {
        const { image: half, labels } = scene(C, H, W, seed);
        const image = add(half, flipHorizontal(half)); // symmetric by construction
        const a = pseudoMask(linearModel(C, seed, true), image, labels, { flip: false });
        assertClose(flipHorizontal(a.scores).data, a.scores.data, 1e-9, 'scores');
        assertMirrored(a, a.mask, W);
      });
    }),
    { numRuns: 30 },
  );
});

test('method cam scores classes with relu(Z_c), the others with softmax(Z)_c', () => {
  fc.assert(
    fc.property(sceneArb, ({ C, H, W, seed }) => {
      f64(() => {
        const rng = new Rng(seed);
        const Z = tensor(random((C + 1) * H * W, rng, -2, 2), [1, C + 1, H, W]);
        const { image } = scene(C, H, W, seed);
        const labels = new Array<number>(C).fill(1);
        const one = { scales: [1], flip: false };
        const expectMaps = (maps: Tensor) =>
          Array.from({ length: C }, (_, c) => {
            const m = Array.from(maps.data.subarray((c + 1) * H * W, (c + 2) * H * W));
            const peak = Math.max(...m);
            return m.map((v) => (peak > 0 ? v / peak : v));
          }).flat();
        const cam = pseudoMask(constantModel(Z), image, labels, { ...one, method: 'cam' });
        const relu = tensor(Z.toArray().map((v) => Math.max(0, v)), Z.shape);
        assertClose(cam.scores.data.subarray(H * W), expectMaps(relu), 1e-12, 'cam scores');
        const eps = pseudoMask(constantModel(Z), image, labels, one);
        const Zs = Z.toArray();
        const P = Zs.map((_, i) => {
          const p = i % (H * W);
          const den = Array.from({ length: C + 1 }, (_, k) => Math.exp(Zs[k * H * W + p]!)).reduce((x, y) => x + y);
          return Math.exp(Zs[i]!) / den;
        });
        assertClose(eps.scores.data.subarray(H * W), expectMaps(tensor(P, Z.shape)), 1e-12, 'softmax scores');
      });
    }),
    { numRuns: 30 },
  );
});

test('maps are upsampled to the image, flipped maps flipped back, and passes summed', () => {
  f64(() => {
    // The model ignores the image and always answers at 2x3, so every pass gives the same
    // upsampled P, and the flipped pass gives its mirror image once flipped back.
    const Z = tensor([2, -1, 0.5, 3, -2, 1, 0, 0.3, -1, 2, 1, -0.5], [1, 2, 2, 3]);
    const image = tensor(new Array(3 * 4 * 6).fill(0.5), [3, 4, 6]); // [3,H,W] is accepted too
    const up = slice(resizeBilinear(softmax(Z, 1), [4, 6]), 1, 1, 2);
    const summed = add(up, flipHorizontal(up)).toArray();
    const peak = Math.max(...summed);
    const { scores } = pseudoMask(constantModel(Z), image, [1]);
    assertClose(scores.data.subarray(24), summed.map((v) => v / peak), 1e-12, 'scores');
  });
});

test('pamr refines the stacked scores on the full image before the argmax', () => {
  fc.assert(
    fc.property(sceneArb, ({ C, H, W, seed }) => {
      f64(() => {
        const { image, labels } = scene(C, H, W, seed);
        const settings = { dilations: [1, 2], iterations: 3 };
        const plain = pseudoMask(linearModel(C, seed), image, labels);
        const refined = pseudoMask(linearModel(C, seed), image, labels, { pamr: settings });
        const K = plain.classes.length;
        const expected = pamr(image, reshape(plain.scores, [1, K, H, W]), settings);
        assertClose(refined.scores.data, expected.data, 1e-12, 'refined scores');
      });
    }),
    { numRuns: 20 },
  );
});

test('no present class: everything is background', () => {
  const { image } = scene(3, 4, 5, 1);
  const { mask, classes, scores } = pseudoMask(linearModel(3, 1), image, [0, 0, 0]);
  assert.equal(classes, [0]);
  assert.equal(scores.shape, [1, 4, 5]);
  assert.ok(mask.every((c) => c === 0));
});

test('pseudoMask checks its inputs', () => {
  const { image } = scene(2, 4, 4, 1);
  assert.throws(() => pseudoMask(linearModel(2, 1), image, [1]), /C\+1/);
  assert.throws(() => pseudoMask(linearModel(2, 1), concat([image, image], 0), [1, 1]), /one image/);
  assert.throws(() => pseudoMask(linearModel(2, 1), image, [1, 1], { scales: [] }), /scales/);
});

test('a batch of images gets exactly the masks and scores each image gets alone', () => {
  fc.assert(
    fc.property(sceneArb, fc.integer({ min: 1, max: 4 }), fc.boolean(), ({ C, H, W, seed }, N, withPamr) => {
      const model = linearModel(C, seed);
      const scenes = Array.from({ length: N }, (_, n) => scene(C, H, W, seed + 10 * n));
      const opts = { pamr: withPamr ? { dilations: [1, 2], iterations: 2 } : false };
      const batch = pseudoMasks(model, concat(scenes.map((s) => s.image), 0), scenes.map((s) => s.labels), opts);
      scenes.forEach((s, n) => {
        const alone = pseudoMask(model, s.image, s.labels, opts);
        assert.equal(Array.from(batch[n]!.mask), Array.from(alone.mask));
        assert.equal(Array.from(batch[n]!.scores.data), Array.from(alone.scores.data));
      });
    }),
    { numRuns: 15 },
  );
});

test.run();
