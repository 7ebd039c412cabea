/** Graph mechanics: diamonds, accumulation, noGrad, detach, upstream gradients. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { add, detach, exp, mul, noGrad, sum, tensor, isGradEnabled, mean } from '../../lib/index.js';

test('diamond: a shared sub-expression receives the sum of both paths', () => {
  const x = tensor([0.5, -1, 2], [3], { requiresGrad: true });
  const s = exp(x); // shared
  const y = sum(add(mul(s, 2), mul(s, s))); // d/dx = 2e^x + 2e^{2x}
  y.backward();
  x.data.forEach((v, i) => assert.ok(Math.abs(x.grad!.data[i]! - (2 * Math.exp(v) + 2 * Math.exp(2 * v))) < 1e-4 * Math.exp(2 * v)));
});

test('a tensor used twice in one op (x*x) gets 2x', () => {
  const x = tensor([3, -4], [2], { requiresGrad: true });
  sum(mul(x, x)).backward();
  assert.equal(x.grad!.toArray(), [6, -8]);
});

test('gradients accumulate across backward calls until reset', () => {
  const x = tensor([1, 2], [2], { requiresGrad: true });
  sum(mul(x, 3)).backward();
  sum(mul(x, 3)).backward();
  assert.equal(x.grad!.toArray(), [6, 6]);
  x.grad = null;
  sum(x).backward();
  assert.equal(x.grad!.toArray(), [1, 1]);
});

test('noGrad records nothing and restores the mode', () => {
  const x = tensor([1, 2], [2], { requiresGrad: true });
  const y = noGrad(() => {
    assert.is(isGradEnabled(), false);
    return mul(x, x);
  });
  assert.is(isGradEnabled(), true);
  assert.is(y.requiresGrad, false);
  assert.is(y.node, null);
  assert.throws(() => noGrad(() => { throw new Error('boom'); }), /boom/);
  assert.is(isGradEnabled(), true);
});

test('detach cuts the graph: no gradient flows through it', () => {
  const x = tensor([2], [1], { requiresGrad: true });
  const y = sum(mul(detach(mul(x, x)), x)); // treats x*x as a constant 4
  y.backward();
  assert.equal(x.grad!.toArray(), [4]);
});

test('backward with an explicit upstream gradient', () => {
  const x = tensor([1, 2, 3], [3], { requiresGrad: true });
  mul(x, 2).backward(tensor([1, 0, -1], [3]));
  assert.equal(x.grad!.toArray(), [2, 0, -2]);
});

test('backward errors are clear', () => {
  const x = tensor([1, 2], [2], { requiresGrad: true });
  assert.throws(() => mul(x, 2).backward(), /non-scalar/);
  assert.throws(() => mul(x, 2).backward(tensor([1], [1])), /does not match/);
  assert.throws(() => tensor([1]).backward(), /does not require grad/);
});

test('inputs without requiresGrad get no gradient', () => {
  const x = tensor([1, 2], [2], { requiresGrad: true });
  const c = tensor([5, 6], [2]);
  mean(mul(x, c)).backward();
  assert.is(c.grad, null);
  assert.equal(x.grad!.toArray(), [2.5, 3]);
});

test('a long chain does not overflow the stack', () => {
  const x = tensor([1], [1], { requiresGrad: true });
  let y = x;
  for (let i = 0; i < 20000; i++) y = add(y, 0);
  sum(y).backward();
  assert.equal(x.grad!.toArray(), [1]);
});

test.run();
