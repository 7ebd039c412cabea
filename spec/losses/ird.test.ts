/** irdSaliencyLoss (EPS++ with Inconsistent Region Drop): docs/method.md#ird-saliency-loss. */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, concat, div, maximum, mean, mul, pamr, softmax, square, sub, sum, tensor, withPrecision, zeros } from '../../lib/index.js';
import { binarize, channelSum, inconsistent, inconsistentRegion, irdMaps, irdSaliencyDetails, irdSaliencyLoss, scaleDilations } from '../../lib/losses/index.js';
import { classifierTrainDefaults } from '../../lib/train/classifier.js';
import { DEFAULT_DILATIONS } from '../../ops/pamr-geom.js';
import { seedArb, values } from '../helpers/arbitrary.js';
import { assertGradient } from '../helpers/gradcheck.js';
import { assertClose, lossInputs, marginToHalf } from './fixtures.js';

const sizeArb = fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 5 }), fc.integer({ min: 2, max: 5 }));
const fast = { dilations: [1, 2], iterations: 3 };
const t = (r: { data: number[]; shape: number[] }, requiresGrad = false): Tensor => tensor(r.data, r.shape, { requiresGrad });
const f64 = <T>(fn: () => T): T => withPrecision('float64', fn);

/** Per image mean of kept * (M_fg - S)^2 over kept pixels, then the batch mean, in plain loops. */
function referenceLoss(mFg: ArrayLike<number>, S: ArrayLike<number>, N: ArrayLike<number>, batch: number): number {
  const hw = mFg.length / batch;
  let total = 0;
  for (let n = 0; n < batch; n++) {
    let sq = 0;
    let kept = 0;
    for (let p = n * hw; p < (n + 1) * hw; p++) {
      sq += (1 - N[p]!) * (mFg[p]! - S[p]!) ** 2;
      kept += 1 - N[p]!;
    }
    total += sq / Math.max(1, kept);
  }
  return total / batch;
}

test('N = B(a) XOR B(b): symmetric, 1 exactly where the binarised maps differ', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 30 }), seedArb, (n, seed) => {
      const a = t(values([n], seed, { lo: 0, hi: 1 }));
      const b = t(values([n], seed + 1, { lo: 0, hi: 1 }));
      const ab = inconsistent(a, b).toArray();
      assert.equal(ab, inconsistent(b, a).toArray());
      assert.equal(ab, a.toArray().map((v, i) => ((v > 0.5) !== (b.data[i]! > 0.5) ? 1 : 0)));
    }),
    { numRuns: 50 },
  );
  assert.equal(inconsistent(tensor([0.5, 0.51, 0.2, 0.9]), tensor([0.51, 0.5, 0.1, 0.6])).toArray(), [1, 1, 0, 0]);
});

test('M_r = sum_c y_c R_c with R = PAMR(I, P) over all C+1 channels', () => {
  fc.assert(
    fc.property(sizeArb, seedArb, ([N, C, h, w], seed) => {
      f64(() => {
        const x = lossInputs(N, C, h, w, seed);
        const R = pamr(t(x.image), softmax(t(x.z), 1), fast);
        const expected = channelSum(R, concat([zeros([N, 1]), t(x.labels)], 1));
        const { mR, mFg, inconsistent: dropped } = irdMaps(t(x.z), t(x.labels), t(x.saliency), t(x.image), fast);
        assertClose(mR.data, expected.data, 1e-12, 'M_r');
        assert.equal(inconsistentRegion(t(x.z), t(x.labels), t(x.saliency), t(x.image), fast).toArray(), dropped.toArray());
        assertClose(mFg.data, channelSum(softmax(t(x.z), 1), concat([zeros([N, 1]), t(x.labels)], 1)).data, 1e-12, 'M_fg');
      });
    }),
    { numRuns: 30 },
  );
});

test('loss, value and gradient, equal the formula with N held constant (no gradient through PAMR)', () => {
  fc.assert(
    fc.property(sizeArb, seedArb, ([N, C, h, w], seed) => {
      f64(() => {
        const x = lossInputs(N, C, h, w, seed);
        const z = t(x.z, true);
        const d = irdSaliencyDetails(z, t(x.labels), t(x.saliency), t(x.image), fast);
        assert.is(d.mR.requiresGrad, false);
        assert.ok(d.mFg.requiresGrad);
        assertClose([d.loss.item()], [referenceLoss(d.mFg.data, x.saliency.data, d.inconsistent.data, N)], 1e-12, 'loss');
        assertClose([d.dropped], [d.inconsistent.toArray().reduce((a, b) => a + b, 0) / (N * h * w)], 1e-12, 'dropped');
        d.loss.backward();
        // Same loss with N (hence R) frozen as a constant: the gradient must not change.
        const z2 = t(x.z, true);
        const mFg = channelSum(softmax(z2, 1), concat([zeros([N, 1]), t(x.labels)], 1));
        const keep = sub(1, d.inconsistent);
        mean(div(sum(mul(keep, square(sub(mFg, t(x.saliency)))), [1, 2, 3]), maximum(sum(keep, [1, 2, 3]), 1))).backward();
        assertClose(z.grad!.data, z2.grad!.data, 1e-12, 'grad');
      });
    }),
    { numRuns: 25 },
  );
});

test('S = B(M_r) exactly: nothing is dropped and the loss is the per-image MSE of M_fg and S', () => {
  fc.assert(
    fc.property(sizeArb, seedArb, ([N, C, h, w], seed) => {
      f64(() => {
        const x = lossInputs(N, C, h, w, seed);
        const { mR, mFg } = irdMaps(t(x.z), t(x.labels), t(x.saliency), t(x.image), fast);
        const S = binarize(mR);
        const d = irdSaliencyDetails(t(x.z), t(x.labels), S, t(x.image), fast);
        assert.is(d.dropped, 0);
        assertClose([d.loss.item()], [mean(mean(square(sub(mFg, S)), [1, 2, 3])).item()], 1e-12, 'loss');
      });
    }),
    { numRuns: 30 },
  );
});

test('every pixel inconsistent: loss and gradient are zero', () => {
  fc.assert(
    fc.property(sizeArb, seedArb, ([N, C, h, w], seed) => {
      f64(() => {
        const x = lossInputs(N, C, h, w, seed);
        const { mR } = irdMaps(t(x.z), t(x.labels), t(x.saliency), t(x.image), fast);
        const S = sub(1, binarize(mR)); // disagrees with B(M_r) everywhere
        const z = t(x.z, true);
        const d = irdSaliencyDetails(z, t(x.labels), S, t(x.image), fast);
        assert.is(d.dropped, 1);
        assert.is(d.loss.item(), 0);
        d.loss.backward();
        assert.ok(z.grad!.toArray().every((g) => g === 0));
      });
    }),
    { numRuns: 30 },
  );
});

test('a falsely salient region is dropped, the true object is kept', () => {
  // 1 class; the object fills the left half (red) and the model finds it there. The saliency
  // map also covers the right half (false coverage): IRD drops exactly that half.
  const [h, w] = [6, 8];
  const left = (i: number) => i % w < w / 2;
  const img: number[] = [];
  for (const ch of [0, 1, 2]) for (let i = 0; i < h * w; i++) img.push(left(i) ? [0.9, 0.1, 0.1][ch]! : [0.2, 0.3, 0.8][ch]!);
  const z: number[] = [];
  for (const ch of [0, 1]) for (let i = 0; i < h * w; i++) z.push((left(i) ? 4 : -4) * (ch === 1 ? 1 : -1));
  const S = new Array<number>(h * w).fill(0.9);
  const d = irdSaliencyDetails(tensor(z, [1, 2, h, w]), tensor([1], [1, 1]), tensor(S, [1, 1, h, w]), tensor(img, [1, 3, h, w]), { dilations: [1, 2] });
  assert.equal(d.inconsistent.toArray(), Array.from({ length: h * w }, (_, i) => (left(i) ? 0 : 1)));
  assertClose([d.dropped], [0.5], 1e-12, 'dropped');
  const mFgLeft = 1 / (1 + Math.exp(-8));
  assertClose([d.loss.item()], [(mFgLeft - 0.9) ** 2], 1e-5, 'loss');
});

test('irdSaliencyLoss gradient matches finite differences (w.r.t. z and S)', () => {
  fc.assert(
    fc.property(sizeArb, seedArb, ([N, C, h, w], seed) => {
      const x = lossInputs(N, C, h, w, seed);
      // N must not flip under the tiny perturbations of the check.
      fc.pre(marginToHalf(f64(() => irdMaps(t(x.z), t(x.labels), t(x.saliency), t(x.image), fast).mR.data)) > 1e-4);
      assertGradient((z, y, s, i) => irdSaliencyLoss(z!, y!, s!, i!, fast), [x.z, x.labels, x.saliency, x.image], { skip: [1, 3] });
    }),
    { numRuns: 25 },
  );
});

test('irdSaliencyLoss runs with the default PAMR settings', () => {
  const x = lossInputs(2, 3, 6, 6, 7);
  const loss = irdSaliencyLoss(t(x.z), t(x.labels), t(x.saliency), t(x.image));
  assert.ok(Number.isFinite(loss.item()) && loss.item() >= 0);
});

test('irdSaliencyLoss asks for the image at the map size', () => {
  const x = lossInputs(1, 2, 3, 3, 1);
  assert.throws(() => irdSaliencyLoss(t(x.z), t(x.labels), t(x.saliency), tensor(new Array(48).fill(0), [1, 3, 4, 4])), /image must be/);
  assert.throws(() => irdSaliencyLoss(t(x.z), t(x.labels), t(x.saliency), tensor(new Array(9).fill(0), [1, 1, 3, 3])), /image must be \[1,3,3,3\]/);
});

test('scaleDilations: image-pixel dilations scaled to the map grid; the training default stays inside a 16x16 map', () => {
  assert.equal(scaleDilations([1, 2, 4, 8, 12, 24], 1 / 4), [1, 2, 3, 6]);
  assert.equal(scaleDilations([1, 2, 4, 8, 12, 24], 1), [1, 2, 4, 8, 12, 24]);
  assert.equal(scaleDilations([1, 2, 4, 8, 12, 24], 1 / 8), [1, 2, 3]);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }), fc.double({ min: 0.01, max: 4, noNaN: true }), (ds, ratio) => {
      const out = scaleDilations(ds, ratio);
      assert.ok(out.length >= 1 && out.length <= ds.length);
      assert.ok(out.every((d) => Number.isInteger(d) && d >= 1 && ds.some((e) => Math.max(1, Math.round(e * ratio)) === d)));
      assert.is(new Set(out).size, out.length);
    }),
    { numRuns: 100 },
  );
  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => scaleDilations([1, 2], bad), /ratio must be a positive number/);
  // The IRD's PAMR runs on 16x16 maps (64x64 images, output stride 4): no default dilation may
  // reach past the map, or PAMR averages clamped border pixels instead of neighbours.
  assert.ok(Math.max(...classifierTrainDefaults.pamrDilations) < 16, JSON.stringify(classifierTrainDefaults.pamrDilations));
  assert.equal(classifierTrainDefaults.pamrDilations, scaleDilations(DEFAULT_DILATIONS, 1 / 4));
});

test.run();
