/** clsLoss: multilabel soft margin = mean BCE with logits, against the textbook formula. */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, withPrecision } from '../../lib/index.js';
import { clsLoss } from '../../lib/losses/index.js';
import { seedArb, values } from '../helpers/arbitrary.js';
import { assertGradient } from '../helpers/gradcheck.js';
import { assertClose } from './fixtures.js';

const sizeArb = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }));
const labelsOf = (n: number, seed: number) => values([n], seed, { lo: 0, hi: 1 }).data.map((v) => (v < 0.5 ? 0 : 1));

test('clsLoss = mean of -(y log sigma(s) + (1-y) log(1 - sigma(s)))', () => {
  fc.assert(
    fc.property(sizeArb, seedArb, ([N, C], seed) => {
      const s = values([N, C], seed, { lo: -6, hi: 6 }).data;
      const y = labelsOf(N * C, seed + 1);
      const sigma = (v: number) => 1 / (1 + Math.exp(-v));
      const direct = s.reduce((acc, v, i) => acc - (y[i]! * Math.log(sigma(v)) + (1 - y[i]!) * Math.log(1 - sigma(v))), 0) / s.length;
      const loss = withPrecision('float64', () => clsLoss(tensor(s, [N, C]), tensor(y, [N, C])).item());
      assertClose([loss], [direct], 1e-12, 'clsLoss');
    }),
    { numRuns: 50 },
  );
});

test('clsLoss is finite for saturated scores', () => {
  const loss = clsLoss(tensor([100, -100, 100, -100], [1, 4]), tensor([0, 1, 1, 0], [1, 4])).item();
  assertClose([loss], [50], 1e-6, 'saturated');
});

test('clsLoss gradient matches finite differences', () => {
  fc.assert(
    fc.property(sizeArb, seedArb, ([N, C], seed) => {
      assertGradient(clsLoss, [values([N, C], seed, { lo: -4, hi: 4 }), { data: labelsOf(N * C, seed + 1), shape: [N, C] }], { skip: [1] });
    }),
    { numRuns: 20 },
  );
});

test('clsLoss rejects mismatched shapes', () => {
  assert.throws(() => clsLoss(tensor([0, 0], [1, 2]), tensor([0, 0, 0], [1, 3])), /clsLoss/);
});

test.run();
