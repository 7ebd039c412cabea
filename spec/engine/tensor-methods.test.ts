/**
 * The chainable Tensor: every method gives exactly what its function gives (values, shape and
 * the gradients backward() leaves on the inputs), and the new tanh composite is checked against
 * Math.tanh and central finite differences.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as E from '../../lib/index.js';
import { Tensor, tensorMethodNames } from '../../lib/index.js';
import { seedArb, shapeArb, values } from '../helpers/arbitrary.js';
import { assertGradient } from '../helpers/gradcheck.js';

const runs = { numRuns: 15, seed: 15 };

/** One case per method: inputs (first is the receiver) and the call in both styles. */
interface Case {
  inputs: (seed: number, shape: number[]) => Array<{ data: number[]; shape: number[] }>;
  method: (x: Tensor, ...rest: Tensor[]) => Tensor;
  fn: (x: Tensor, ...rest: Tensor[]) => Tensor;
}

const one = (range: Parameters<typeof values>[2] = {}) => (seed: number, shape: number[]) => [values(shape, seed, range)];
const two = (range: Parameters<typeof values>[2] = {}) => (seed: number, shape: number[]) => [values(shape, seed, range), values(shape.slice(1), seed + 1, range)];
const matrices = (seed: number, shape: number[]) => [values([...shape, 3], seed), values([3, 2], seed + 1)];
const image = (seed: number) => [values([1, 2, 5, 5], seed), values([3, 2, 3, 3], seed + 1), values([3], seed + 2)];

const cases: Record<(typeof tensorMethodNames)[number], Case> = {
  add: { inputs: two(), method: (x, y) => x.add(y!), fn: (x, y) => E.add(x, y!) },
  sub: { inputs: two(), method: (x, y) => x.sub(y!), fn: (x, y) => E.sub(x, y!) },
  mul: { inputs: two(), method: (x, y) => x.mul(y!), fn: (x, y) => E.mul(x, y!) },
  div: { inputs: two({ awayFromZero: 0.3 }), method: (x, y) => x.div(y!), fn: (x, y) => E.div(x, y!) },
  pow: { inputs: one({ lo: 0.3, hi: 2 }), method: (x) => x.pow(1.5), fn: (x) => E.pow(x, 1.5) },
  maximum: { inputs: two(), method: (x, y) => x.maximum(y!), fn: (x, y) => E.maximum(x, y!) },
  minimum: { inputs: two(), method: (x, y) => x.minimum(y!), fn: (x, y) => E.minimum(x, y!) },
  neg: { inputs: one(), method: (x) => x.neg(), fn: E.neg },
  exp: { inputs: one(), method: (x) => x.exp(), fn: E.exp },
  log: { inputs: one({ lo: 0.3, hi: 3 }), method: (x) => x.log(), fn: E.log },
  sqrt: { inputs: one({ lo: 0.3, hi: 3 }), method: (x) => x.sqrt(), fn: E.sqrt },
  abs: { inputs: one(), method: (x) => x.abs(), fn: E.abs },
  square: { inputs: one(), method: (x) => x.square(), fn: E.square },
  relu: { inputs: one(), method: (x) => x.relu(), fn: E.relu },
  sigmoid: { inputs: one(), method: (x) => x.sigmoid(), fn: E.sigmoid },
  tanh: { inputs: one(), method: (x) => x.tanh(), fn: E.tanh },
  sum: { inputs: one(), method: (x) => x.sum(0, { keepdim: true }), fn: (x) => E.sum(x, 0, { keepdim: true }) },
  mean: { inputs: one(), method: (x) => x.mean(-1), fn: (x) => E.mean(x, -1) },
  max: { inputs: one(), method: (x) => x.max(), fn: (x) => E.max(x) },
  reshape: { inputs: one(), method: (x) => x.reshape([-1]), fn: (x) => E.reshape(x, [-1]) },
  permute: { inputs: one(), method: (x) => x.permute(x.shape.map((_, i) => x.ndim - 1 - i)), fn: (x) => E.permute(x, x.shape.map((_, i) => x.ndim - 1 - i)) },
  transpose: { inputs: one(), method: (x) => x.transpose(0, -1), fn: (x) => E.transpose(x, 0, -1) },
  flatten: { inputs: one(), method: (x) => x.flatten(0), fn: (x) => E.flatten(x, 0) },
  unsqueeze: { inputs: one(), method: (x) => x.unsqueeze(-1), fn: (x) => E.unsqueeze(x, -1) },
  squeeze: { inputs: one(), method: (x) => x.unsqueeze(0).squeeze(0), fn: (x) => E.squeeze(E.unsqueeze(x, 0), 0) },
  matmul: { inputs: matrices, method: (a, b) => a.matmul(b!), fn: (a, b) => E.matmul(a, b!) },
  softmax: { inputs: one(), method: (x) => x.softmax(-1), fn: (x) => E.softmax(x, -1) },
  logSoftmax: { inputs: one(), method: (x) => x.logSoftmax(0), fn: (x) => E.logSoftmax(x, 0) },
  conv2d: { inputs: image, method: (x, w, b) => x.conv2d(w!, b, { padding: 1 }), fn: (x, w, b) => E.conv2d(x, w!, b!, { padding: 1 }) },
  detach: { inputs: one(), method: (x) => x.detach().mul(x), fn: (x) => E.mul(E.detach(x), x) },
};

/** Values of the output and of every input's gradient after backward with fixed weights. */
function outcome(call: Case['method'], inputs: Array<{ data: number[]; shape: number[] }>) {
  const xs = inputs.map((v) => E.tensor(v.data, v.shape, { requiresGrad: true }));
  const out = call(xs[0]!, ...xs.slice(1));
  const w = E.tensor(Array.from({ length: out.size }, (_, i) => 1 + (i % 3)), out.shape);
  out.mul(w).sum().backward();
  return { shape: out.shape, data: out.toArray(), grads: xs.map((x) => x.grad?.toArray() ?? null) };
}

test('every method is listed once and has a case', () => {
  assert.equal(Object.keys(cases).sort(), [...tensorMethodNames].sort());
  for (const name of tensorMethodNames) assert.type((E.zeros([1]) as unknown as Record<string, unknown>)[name], 'function', name);
});

for (const [name, c] of Object.entries(cases)) {
  test(`x.${name}(...) equals ${name}(x, ...): values, shape and gradients`, () => {
    fc.assert(
      fc.property(shapeArb(3, 4), seedArb, (shape, seed) => {
        const inputs = c.inputs(seed, shape);
        // Bit-identical: the method must be the same computation, not an approximation of it.
        assert.equal(outcome(c.method, inputs), outcome(c.fn, inputs));
      }),
      runs,
    );
  });
}

test('a chain reads left to right and types flow: x.mul(y).relu().mean() is a Tensor', () => {
  const x = E.tensor([1, -2, 3, -4], [2, 2], { requiresGrad: true });
  const y = E.tensor([2, 2, -1, -1], [2, 2]);
  const r: Tensor = x.mul(y).relu().mean();
  assert.ok(r instanceof Tensor);
  r.backward();
  // relu(x*y) = [2, 0, 0, 4]; mean = 1.5; d/dx = y/4 where x*y > 0
  assert.is(r.item(), 1.5);
  assert.equal(x.grad!.toArray(), [0.5, 0, 0, -0.25]);
});

test('the methods do not show up as data: a tensor spreads and prints as before', () => {
  const x = E.tensor([1, 2], [2]);
  assert.equal(Object.keys(x).sort(), ['data', 'grad', 'node', 'requiresGrad', 'shape']);
  assert.is(String(x), 'Tensor([2], [1.000, 2.000])');
});

test('tanh matches Math.tanh, saturates without NaN, and its gradient matches finite differences', () => {
  const xs = [-30, -3, -0.5, 0, 0.25, 2, 30];
  const got = E.withPrecision('float64', () => E.tanh(E.tensor(xs)).toArray());
  got.forEach((v, i) => assert.ok(Math.abs(v - Math.tanh(xs[i]!)) < 1e-12, `tanh(${xs[i]}) = ${v}`));
  fc.assert(fc.property(shapeArb(), seedArb, (shape, seed) => assertGradient(E.tanh, [values(shape, seed)])), runs);
});

test.run();
