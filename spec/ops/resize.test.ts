/** Bilinear and nearest resize: backends agree with the reference; gradients match finite differences. */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, resizeBilinear, resizeNearest } from '../../lib/index.js';
import { assertGradient } from '../helpers/gradcheck.js';
import { values } from '../helpers/arbitrary.js';
import { assertClose, kernelBackends, seeded, valueAndGrads } from './helpers.js';

const caseArb = (max: number) =>
  fc.record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    H: fc.integer({ min: 1, max: max }),
    W: fc.integer({ min: 1, max: max }),
    OH: fc.integer({ min: 1, max: 2 * max }),
    OW: fc.integer({ min: 1, max: 2 * max }),
    alignCorners: fc.boolean(),
    seed: fc.nat(),
  });

type Case = ReturnType<typeof caseArb> extends fc.Arbitrary<infer T> ? T : never;

const ops = (c: Case): Array<[string, (x: Tensor) => Tensor]> => [
  ['bilinear', (x) => resizeBilinear(x, [c.OH, c.OW], { alignCorners: c.alignCorners })],
  ['nearest', (x) => resizeNearest(x, [c.OH, c.OW])],
];

for (const backend of kernelBackends) {
  test(`resize forward/backward on ${backend} agrees with the reference`, () => {
    fc.assert(
      fc.property(caseArb(9), (c) => {
        const x = seeded([c.N, c.C, c.H, c.W], c.seed);
        for (const [name, f] of ops(c)) {
          const ref = valueAndGrads('reference', f, [x]);
          valueAndGrads(backend, f, [x]).forEach((a, i) => assertClose(a, ref[i]!, `${name} ${i} ${JSON.stringify(c)}`));
        }
      }),
      { numRuns: 20 },
    );
  });
}

test('resize gradients match finite differences (float64 reference)', () => {
  fc.assert(
    fc.property(caseArb(5), (c) => {
      for (const [, f] of ops(c)) assertGradient(f, [values([c.N, c.C, c.H, c.W], c.seed)]);
    }),
    { numRuns: 20 },
  );
});

test('bilinear resize matches PyTorch conventions on a 1x2 -> 1x4 row', () => {
  const x = new Tensor(Float32Array.from([0, 1]), [1, 1, 1, 2]);
  // align_corners=False: source x = (o + 0.5) / 2 - 0.5, clamped at 0
  assert.equal(Array.from(resizeBilinear(x, [1, 4]).data), [0, 0.25, 0.75, 1]);
  // align_corners=True: source x = o / 3
  assertClose(resizeBilinear(x, [1, 4], { alignCorners: true }).data, [0, 1 / 3, 2 / 3, 1], 'align corners', 1e-6, 0);
  assert.equal(Array.from(resizeNearest(x, [1, 4]).data), [0, 0, 1, 1]);
});

test('resize shape errors name the op and the shapes', () => {
  assert.throws(() => resizeBilinear(seeded([2, 3, 4], 1), [2, 2]), /resizeBilinear: expects input \[N,C,H,W\], got \[2,3,4\]/);
  assert.throws(() => resizeNearest(seeded([1, 1, 4, 4], 1), [0, 2]), /resizeNearest: size must be two positive integers/);
});

test.run();
