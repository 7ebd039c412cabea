/** Creation, forward values, seeded randomness, precision and shape errors. */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as E from '../../lib/index.js';
import { seedArb, shapeArb, values } from '../helpers/arbitrary.js';

test('creation helpers', () => {
  assert.equal(E.zeros([2, 2]).toArray(), [0, 0, 0, 0]);
  assert.equal(E.ones([3]).toArray(), [1, 1, 1]);
  assert.equal(E.full([2], 7).toArray(), [7, 7]);
  assert.equal(E.arange(4).toArray(), [0, 1, 2, 3]);
  assert.equal(E.arange(1, 2, 0.5).toArray(), [1, 1.5]);
  assert.is(E.tensor(3).shape.length, 0);
  assert.ok(E.tensor([1]).data instanceof Float32Array);
  assert.ok(E.withPrecision('float64', () => E.tensor([1]).data) instanceof Float64Array);
});

test('seeded rand/randn are reproducible, different seeds differ', () => {
  fc.assert(
    fc.property(seedArb, shapeArb(), (seed, shape) => {
      const a = E.randn(shape, { rng: new E.Rng(seed) }).toArray();
      const b = E.randn(shape, { rng: new E.Rng(seed) }).toArray();
      assert.equal(a, b);
      E.manualSeed(seed);
      const c = E.rand(shape).toArray();
      E.manualSeed(seed);
      assert.equal(E.rand(shape).toArray(), c);
      assert.not.equal(E.rand([8], { rng: new E.Rng(seed) }).toArray(), E.rand([8], { rng: new E.Rng(seed + 1) }).toArray());
    }),
    { numRuns: 20 },
  );
});

test('randn has roughly zero mean and unit variance', () => {
  const x = E.randn([20000], { rng: new E.Rng(3) });
  const m = E.mean(x).item();
  const v = E.mean(E.square(E.sub(x, m))).item();
  assert.ok(Math.abs(m) < 0.03 && Math.abs(v - 1) < 0.05, `mean ${m} var ${v}`);
});

test('broadcasting add matches a direct loop', () => {
  const a = E.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = E.tensor([10, 20, 30], [3]);
  assert.equal(E.add(a, b).toArray(), [11, 22, 33, 14, 25, 36]);
  assert.equal(E.mul(E.tensor([1, 2], [2, 1]), b).shape, [2, 3]);
});

test('reductions, permute, slice, concat, pad match direct formulas', () => {
  const x = E.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  assert.equal(E.sum(x, 0).toArray(), [5, 7, 9]);
  assert.equal(E.sum(x, 1, { keepdim: true }).shape, [2, 1]);
  assert.equal(E.max(x, 1).toArray(), [3, 6]);
  assert.equal(E.mean(x).item(), 3.5);
  assert.equal(E.permute(x, [1, 0]).toArray(), [1, 4, 2, 5, 3, 6]);
  assert.equal(E.slice(x, 1, 1, 3).toArray(), [2, 3, 5, 6]);
  assert.equal(E.concat([x, x], 1).toArray(), [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
  assert.equal(E.pad(E.tensor([1, 2], [2]), [[1, 2]], { mode: 'replicate' }).toArray(), [1, 1, 2, 2, 2]);
  assert.equal(E.pad(E.tensor([1, 2], [2]), [[1, 0]], { value: 9 }).toArray(), [9, 1, 2]);
  assert.equal(E.matmul(x, E.tensor([1, 0, 0, 1, 1, 1], [3, 2])).toArray(), [4, 5, 10, 11]);
});

test('softmax sums to one and is shift invariant', () => {
  fc.assert(
    fc.property(shapeArb(), seedArb, (shape, seed) => {
      const axis = seed % shape.length;
      const v = values(shape, seed, { lo: -20, hi: 20 });
      const x = E.tensor(v.data, shape);
      const p = E.softmax(x, axis);
      E.sum(p, axis).data.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-5));
      const q = E.softmax(E.add(x, 100), axis);
      p.data.forEach((s, i) => assert.ok(Math.abs(s - q.data[i]!) < 1e-5));
    }),
    { numRuns: 20 },
  );
});

test('bceWithLogits matches the direct formula and is stable for large logits', () => {
  const z = E.tensor([-50, -1, 0, 2, 60], [5]);
  const y = E.tensor([1, 0, 1, 1, 0], [5]);
  const got = E.bceWithLogits(z, y, 'none').toArray();
  const want = z.toArray().map((zi, i) => {
    const yi = y.data[i]!;
    return -(yi * Math.log(1 / (1 + Math.exp(-zi))) + (1 - yi) * Math.log(1 - 1 / (1 + Math.exp(-zi))));
  });
  got.forEach((g, i) => assert.ok(Number.isFinite(g) && Math.abs(g - (Number.isFinite(want[i]!) ? want[i]! : Math.abs(z.data[i]!))) < 1e-4, `${g} vs ${want[i]}`));
});

test('crossEntropy ignores 255 and averages over the rest', () => {
  const z = E.tensor([0, 0, 0, 0, 5, -5, 0, 0], [1, 2, 2, 2]); // 2 classes, 2x2 pixels
  const l = E.crossEntropy(z, [255, 255, 0, 255]); // pixel 2 has logits (0, 0)
  assert.ok(Math.abs(l.item() - Math.log(2)) < 1e-6);
  assert.is(E.crossEntropy(z, [255, 255, 255, 255]).item(), 0);
  assert.ok(Math.abs(E.crossEntropy(z, [1, 255, 255, 255]).item() - Math.log(1 + Math.exp(-5))) < 1e-6);
  assert.throws(() => E.crossEntropy(z, [0, 7, 0, 0]), /label 7 outside 0..1/);
});

test('shape errors name the op and the shapes', () => {
  const a = E.zeros([2, 3]);
  assert.throws(() => E.add(a, E.zeros([4])), /add: shapes \[2,3\] and \[4\] cannot broadcast/);
  assert.throws(() => E.matmul(a, E.zeros([2, 2])), /matmul: inner sizes differ: \[2,3\] @ \[2,2\]/);
  assert.throws(() => E.reshape(a, [4, 2]), /reshape: cannot reshape \[2,3\] to \[4,2\]/);
  assert.throws(() => E.sum(a, 2), /sum: axis 2 out of range for 2-d tensor/);
  assert.throws(() => E.slice(a, 1, 2, 5), /slice: range \[2,5\) out of bounds/);
  assert.throws(() => E.concat([a, E.zeros([3, 3])], 1), /concat: shapes \[2,3\], \[3,3\] differ outside axis 1/);
  assert.throws(() => E.permute(a, [0, 0]), /permute/);
  assert.throws(() => E.tensor([1, 2, 3], [2, 2]), /3 values do not fill shape \[2,2\]/);
  assert.throws(() => E.mse(a, E.zeros([3, 2])), /mse: shapes \[2,3\] and \[3,2\] differ/);
});

test('constant pad equals the per-element definition (any rank, pads and value)', () => {
  const arb = shapeArb(4, 4).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      pads: fc.tuple(...shape.map(() => fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })))),
      value: fc.constantFrom(0, -1.5),
      seed: seedArb,
    }),
  );
  fc.assert(
    fc.property(arb, ({ shape, pads, value, seed }) => {
      const x = E.tensor(values(shape, seed).data, shape);
      const y = E.pad(x, pads as Array<[number, number]>, { value });
      const outShape = shape.map((d, k) => d + pads[k]![0] + pads[k]![1]);
      assert.equal(y.shape, outShape);
      const want: number[] = [];
      const coord = new Array<number>(outShape.length).fill(0);
      for (let o = 0; o < y.size; o++) {
        let src = 0;
        let inside = true;
        coord.forEach((c, k) => {
          const i = c - pads[k]![0];
          if (i < 0 || i >= shape[k]!) inside = false;
          src = src * shape[k]! + i;
        });
        want.push(inside ? x.data[src]! : value);
        for (let k = coord.length - 1; k >= 0 && ++coord[k]! === outShape[k]; k--) coord[k] = 0;
      }
      assert.equal(y.toArray(), want);
    }),
    { numRuns: 60 },
  );
});

test('sum and max over any set of axes equal the per-element definition (float64)', () => {
  const arb = shapeArb(4, 4).chain((shape) => fc.record({ shape: fc.constant(shape), axes: fc.subarray(shape.map((_, i) => i), { minLength: 1 }), seed: seedArb }));
  fc.assert(
    fc.property(arb, ({ shape, axes, seed }) =>
      E.withPrecision('float64', () => {
        const x = E.tensor(values(shape, seed).data, shape);
        const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const size = kept.reduce((a, b) => a * b, 1);
        const [sums, maxes] = [new Array<number>(size).fill(0), new Array<number>(size).fill(-Infinity)];
        const coord = new Array<number>(shape.length).fill(0);
        for (let i = 0; i < x.size; i++) {
          const o = coord.reduce((acc, c, k) => acc * kept[k]! + (axes.includes(k) ? 0 : c), 0);
          sums[o] += x.data[i]!;
          maxes[o] = Math.max(maxes[o]!, x.data[i]!);
          for (let k = shape.length - 1; k >= 0 && ++coord[k]! === shape[k]; k--) coord[k] = 0;
        }
        E.sum(x, axes).data.forEach((v, i) => assert.ok(Math.abs(v - sums[i]!) < 1e-12, `sum ${i}: ${v} vs ${sums[i]}`));
        assert.equal(Array.from(E.max(x, axes).data), maxes);
      }),
    ),
    { numRuns: 60 },
  );
});

test.run();
