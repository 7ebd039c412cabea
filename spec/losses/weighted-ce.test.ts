/** SSSS loss: per-pixel cross-entropy where true-mask images weigh `labeledWeight` (lib/train/segmenter.ts). */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crossEntropy, tensor, withPrecision } from '../../lib/index.js';
import { Rng } from '../../lib/core/random.js';
import { weightedCrossEntropy } from '../../lib/train/segmenter.js';
import { seedArb } from '../helpers/arbitrary.js';
import { assertClose } from './fixtures.js';

/** Logits [N,K,2,2], masks with some 255, ids, and a random labelled subset. */
function inputs(N: number, K: number, seed: number) {
  const rng = new Rng(seed);
  const logits = tensor(Array.from({ length: N * K * 4 }, () => rng.uniform(-2, 2)), [N, K, 2, 2]);
  const masks = Uint8Array.from({ length: N * 4 }, () => (rng.next() < 0.2 ? 255 : rng.int(K)));
  const ids = Array.from({ length: N }, (_, n) => `i${n}`);
  const labeled = new Set(ids.filter(() => rng.next() < 0.5));
  return { logits, masks, ids, labeled };
}

test('sum of weighted pixel losses / sum of weights; weight 1 is crossEntropy', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 4 }), seedArb, fc.double({ min: 0.1, max: 10, noNaN: true }), (N, K, seed, w) => {
      withPrecision('float64', () => {
        const { logits, masks, ids, labeled } = inputs(N, K, seed);
        assert.is(weightedCrossEntropy(logits, { ids, masks }, labeled, 1).item(), crossEntropy(logits, masks).item());
        let num = 0, den = 0;
        const L = logits.data;
        for (let n = 0; n < N; n++)
          for (let p = 0; p < 4; p++) {
            const c = masks[n * 4 + p]!;
            if (c === 255) continue;
            const zs = Array.from({ length: K }, (_, k) => L[(n * K + k) * 4 + p]!);
            const lse = Math.log(zs.reduce((a, z) => a + Math.exp(z), 0));
            const wt = labeled.has(ids[n]!) ? w : 1;
            num += wt * (lse - zs[c]!);
            den += wt;
          }
        assertClose([weightedCrossEntropy(logits, { ids, masks }, labeled, w).item()], [den > 0 ? num / den : 0], 1e-10);
      });
    }),
    { numRuns: 60 },
  );
});

test.run();
