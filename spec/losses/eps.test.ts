/** epsSaliencyLoss: overlap test, F/G split, S_hat, and gradients (docs/method.md#eps-saliency-loss). */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, softmax, tensor, withPrecision } from '../../lib/index.js';
import { classOverlap, epsSaliencyDetails, epsSaliencyLoss } from '../../lib/losses/index.js';
import { seedArb } from '../helpers/arbitrary.js';
import { assertGradient } from '../helpers/gradcheck.js';
import { assertClose, lossInputs, marginToHalf, type LossInputs } from './fixtures.js';

const sizeArb = fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }));
const t = (r: { data: number[]; shape: number[] }): Tensor => tensor(r.data, r.shape);

/** S_hat - S summed the slow way, with F given per image and class. */
function closedForm(x: LossInputs, inF: (n: number, c: number) => boolean, lambda: number): number {
  const [N, C1, h, w] = x.z.shape as [number, number, number, number];
  const P = softmax(t(x.z), 1).data;
  const hw = h * w;
  let total = 0;
  for (let n = 0; n < N; n++)
    for (let p = 0; p < hw; p++) {
      let mFg = 0;
      let mBg = P[n * C1 * hw + p]!; // background is always in G
      for (let c = 1; c < C1; c++) {
        if (x.labels.data[n * (C1 - 1) + c - 1] !== 1) continue;
        const v = P[(n * C1 + c) * hw + p]!;
        if (inF(n, c)) mFg += v;
        else mBg += v;
      }
      const sHat = lambda * mFg + (1 - lambda) * (1 - mBg);
      total += (sHat - x.saliency.data[n * hw + p]!) ** 2;
    }
  return total / (N * hw);
}

test('tau below every overlap: all present classes in F (closed form)', () => {
  fc.assert(
    fc.property(sizeArb, seedArb, fc.double({ min: 0, max: 1, noNaN: true }), ([N, C, h, w], seed, lambda) => {
      withPrecision('float64', () => {
        const x = lossInputs(N, C, h, w, seed);
        const loss = epsSaliencyLoss(t(x.z), t(x.labels), t(x.saliency), { tau: -1, lambda }).item();
        assertClose([loss], [closedForm(x, () => true, lambda)], 1e-12, 'loss');
      });
    }),
    { numRuns: 40 },
  );
});

test('tau at or above every overlap: F is empty, present classes explain background', () => {
  fc.assert(
    fc.property(sizeArb, seedArb, ([N, C, h, w], seed) => {
      withPrecision('float64', () => {
        const x = lossInputs(N, C, h, w, seed);
        const loss = epsSaliencyLoss(t(x.z), t(x.labels), t(x.saliency), { tau: 1 }).item();
        assertClose([loss], [closedForm(x, () => false, 0.5)], 1e-12, 'loss');
      });
    }),
    { numRuns: 40 },
  );
});

test('default tau splits F/G by the overlap o_c, computed from B(P_c) and B(S)', () => {
  fc.assert(
    fc.property(sizeArb, seedArb, ([N, C, h, w], seed) => {
      withPrecision('float64', () => {
        const x = lossInputs(N, C, h, w, seed);
        const P = softmax(t(x.z), 1);
        const hw = h * w;
        // o_c from its definition, pixel by pixel.
        const o = (n: number, c: number): number => {
          let both = 0;
          let fg = 0;
          for (let p = 0; p < hw; p++) {
            const b = P.data[(n * (C + 1) + c) * hw + p]! > 0.5 ? 1 : 0;
            fg += b;
            both += b * (x.saliency.data[n * hw + p]! > 0.5 ? 1 : 0);
          }
          return both / (fg + 1e-4);
        };
        const overlap = classOverlap(P, t(x.saliency));
        assertClose(overlap.data, Array.from({ length: N * C }, (_, i) => o(Math.floor(i / C), (i % C) + 1)), 1e-12, 'overlap');
        const d = epsSaliencyDetails(t(x.z), t(x.labels), t(x.saliency));
        assertClose([d.loss.item()], [closedForm(x, (n, c) => o(n, c) > 0.4, 0.5)], 1e-12, 'loss');
      });
    }),
    { numRuns: 40 },
  );
});

test('a salient class goes to F, a class off the saliency map goes to G', () => {
  // 1 image, 2 classes, 1x4 map: class 1 dominates the salient left half, class 2 the right.
  const big = 5;
  const z = tensor([0, 0, 0, 0, big, big, 0, 0, 0, 0, big, big], [1, 3, 1, 4]);
  const S = tensor([1, 1, 0, 0], [1, 1, 1, 4]);
  const d = epsSaliencyDetails(z, tensor([1, 1], [1, 2]), S);
  assertClose(d.overlap.data, [2 / (2 + 1e-4), 0], 1e-6, 'overlap');
  assert.equal(Array.from(d.inF.data), [1, 0]);
  assert.is(d.overlap.requiresGrad, false);
});

test('epsSaliencyLoss gradient matches finite differences (w.r.t. z and S)', () => {
  fc.assert(
    fc.property(sizeArb, seedArb, ([N, C, h, w], seed) => {
      const x = lossInputs(N, C, h, w, seed);
      // B(P_c) must not flip under the tiny perturbations of the check.
      fc.pre(marginToHalf(withPrecision('float64', () => softmax(t(x.z), 1).data)) > 1e-4);
      assertGradient((z, y, s) => epsSaliencyLoss(z!, y!, s!), [x.z, x.labels, x.saliency], { skip: [1] });
    }),
    { numRuns: 25 },
  );
});

test('epsSaliencyLoss asks for saliency at the map size', () => {
  const x = lossInputs(1, 2, 3, 3, 1);
  assert.throws(() => epsSaliencyLoss(t(x.z), t(x.labels), tensor(new Array(16).fill(0), [1, 1, 4, 4])), /resizeToMap/);
});

test.run();
