/** Every primitive and composite: analytic gradient == central finite differences (float64). */
import fc from 'fast-check';
import { test } from 'uvu';
import * as E from '../../lib/index.js';
import type { Tensor } from '../../lib/index.js';
import { broadcastPairArb, distinctValues, seedArb, shapeArb, values } from '../helpers/arbitrary.js';
import { assertGradient } from '../helpers/gradcheck.js';

const runs = { numRuns: 20 };

const unary: Array<[string, (x: Tensor) => Tensor, Parameters<typeof values>[2]]> = [
  ['neg', E.neg, {}],
  ['exp', E.exp, {}],
  ['log', E.log, { lo: 0.3, hi: 3 }],
  ['sqrt', E.sqrt, { lo: 0.3, hi: 3 }],
  ['abs', E.abs, { awayFromZero: 0.1 }],
  ['relu', E.relu, { awayFromZero: 0.1 }],
  ['sigmoid', E.sigmoid, {}],
  ['pow 3', (x) => E.pow(x, 3), {}],
  ['pow -1.5', (x) => E.pow(x, -1.5), { lo: 0.5, hi: 2 }],
  ['square', E.square, {}],
  ['softplus', E.softplus, {}],
];

for (const [name, f, range] of unary) {
  test(`grad ${name}`, () => {
    fc.assert(fc.property(shapeArb(), seedArb, (shape, seed) => assertGradient(f, [values(shape, seed, range)])), runs);
  });
}

const binary: Array<[string, (a: Tensor, b: Tensor) => Tensor, Parameters<typeof values>[2]]> = [
  ['add', E.add, {}],
  ['sub', E.sub, {}],
  ['mul', E.mul, {}],
  ['div', E.div, { awayFromZero: 0.3 }],
];

for (const [name, f, range] of binary) {
  test(`grad ${name} with broadcasting`, () => {
    fc.assert(
      fc.property(broadcastPairArb(), seedArb, ([sa, sb], seed) => assertGradient(f, [values(sa, seed, range), values(sb, seed + 1, range)])),
      runs,
    );
  });
}

test('grad maximum / minimum (no ties)', () => {
  fc.assert(
    fc.property(shapeArb(), seedArb, (shape, seed) => {
      const a = distinctValues(shape, seed);
      const b = { data: a.data.map((v, i) => v + (i % 2 ? 0.013 : -0.013)), shape };
      assertGradient(E.maximum, [a, b]);
      assertGradient(E.minimum, [a, b]);
    }),
    runs,
  );
});

test('grad where (no gradient through the condition)', () => {
  fc.assert(
    fc.property(shapeArb(), seedArb, (shape, seed) => {
      const cond = values(shape, seed);
      assertGradient((c, a, b) => E.where(E.compare(c, 'gt', 0), a, b), [cond, values(shape, seed + 1), values(shape, seed + 2)], { skip: [0] });
    }),
    runs,
  );
});

const axesArb = (rank: number) => fc.subarray(Array.from({ length: rank }, (_, i) => i), { minLength: 1 });

test('grad sum / mean over axes, keepdim both ways', () => {
  fc.assert(
    fc.property(shapeArb(), seedArb, fc.boolean(), (shape, seed, keepdim) =>
      fc.assert(
        fc.property(axesArb(shape.length), (axes) => {
          assertGradient((x) => E.sum(x, axes, { keepdim }), [values(shape, seed)]);
          assertGradient((x) => E.mean(x, axes, { keepdim }), [values(shape, seed)]);
        }),
        { numRuns: 3 },
      ),
    ),
    runs,
  );
});

test('grad max over axes (distinct values)', () => {
  fc.assert(
    fc.property(shapeArb(), seedArb, fc.boolean(), (shape, seed, keepdim) =>
      assertGradient((x) => E.max(x, [shape.length - 1], { keepdim }), [distinctValues(shape, seed)]),
    ),
    runs,
  );
});

test('grad reshape / permute / transpose', () => {
  fc.assert(
    fc.property(shapeArb(), seedArb, (shape, seed) => {
      const perm = new E.Rng(seed).shuffle(shape.map((_, i) => i));
      assertGradient((x) => E.permute(x, perm), [values(shape, seed)]);
      assertGradient((x) => E.reshape(x, [-1]), [values(shape, seed)]);
      if (shape.length >= 2) assertGradient((x) => E.transpose(x), [values(shape, seed)]);
    }),
    runs,
  );
});

test('grad expand / broadcastTo', () => {
  fc.assert(
    fc.property(broadcastPairArb(), seedArb, ([a, b], seed) => {
      const [small, big] = a.length <= b.length && a.every((d, i) => d === 1 || d === b[b.length - a.length + i]) ? [a, b] : [b, a];
      const target = E.broadcastTo(E.zeros(small), big).shape; // the broadcast result shape
      assertGradient((x) => E.broadcastTo(x, target), [values(small, seed)]);
    }),
    runs,
  );
});

test('grad slice and concat along an axis', () => {
  fc.assert(
    fc.property(shapeArb(3, 5), seedArb, (shape, seed) => {
      const axis = seed % shape.length;
      const n = shape[axis]!;
      const start = seed % n;
      assertGradient((x) => E.slice(x, axis, start, n), [values(shape, seed)]);
      const other = shape.map((d, i) => (i === axis ? 2 : d));
      assertGradient((x, y) => E.concat([x, y, x], axis), [values(shape, seed), values(other, seed + 1)]);
    }),
    runs,
  );
});

test('grad pad, constant and replicate', () => {
  fc.assert(
    fc.property(shapeArb(3, 4), seedArb, fc.constantFrom<'constant' | 'replicate'>('constant', 'replicate'), (shape, seed, mode) => {
      const pads = shape.map((_, i): [number, number] => [(seed >> i) % 3, (seed >> (i + 3)) % 3]);
      assertGradient((x) => E.pad(x, pads, { mode, value: 0.5 }), [values(shape, seed)]);
    }),
    runs,
  );
});

test('grad matmul, 2-d and batched with broadcasting', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), seedArb, (m, k, n, b, seed) => {
      assertGradient(E.matmul, [values([m, k], seed), values([k, n], seed + 1)]);
      assertGradient(E.matmul, [values([b, m, k], seed), values([k, n], seed + 1)]);
    }),
    runs,
  );
});

test('grad softmax / logSoftmax / logsumexp over an axis', () => {
  fc.assert(
    fc.property(shapeArb(), seedArb, (shape, seed) => {
      const axis = seed % shape.length;
      assertGradient((x) => E.softmax(x, axis), [values(shape, seed, { lo: -4, hi: 4 })]);
      assertGradient((x) => E.logSoftmax(x, axis), [values(shape, seed, { lo: -4, hi: 4 })]);
      assertGradient((x) => E.logsumexp(x, axis), [values(shape, seed, { lo: -4, hi: 4 })]);
    }),
    runs,
  );
});

test('grad bceWithLogits and mse', () => {
  fc.assert(
    fc.property(shapeArb(), seedArb, (shape, seed) => {
      const targets = values(shape, seed + 7, { lo: 0, hi: 1 });
      assertGradient((z, y) => E.bceWithLogits(z, y), [values(shape, seed, { lo: -5, hi: 5 }), targets], { skip: [1] });
      assertGradient(E.mse, [values(shape, seed), values(shape, seed + 1)]);
    }),
    runs,
  );
});

test('grad crossEntropy with ignore index 255', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), seedArb, (n, c, h, w, seed) => {
      const rng = new E.Rng(seed);
      const labels = Array.from({ length: n * h * w }, () => (rng.next() < 0.25 ? 255 : rng.int(c)));
      assertGradient((z) => E.crossEntropy(z, labels), [values([n, c, h, w], seed)]);
    }),
    runs,
  );
});

test.run();
