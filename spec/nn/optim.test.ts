/** SGD and AdamW steps against hand-computed updates; poly schedule; lr multipliers and decay tags. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { tensor } from '../../lib/index.js';
import { Parameter } from '../../lib/nn/index.js';
import { AdamW, SGD, polyLr, trainLr, warmupSteps } from '../../lib/optim/index.js';

const param = (values: number[], opts = {}) => new Parameter(Float32Array.from(values), [values.length], opts);
const setGrad = (p: Parameter, g: number[]) => (p.grad = tensor(g, [g.length]));
const close = (actual: ArrayLike<number>, expected: number[], tol = 1e-6) =>
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= tol * Math.max(1, Math.abs(e)), `[${i}] ${actual[i]} vs ${e}`));

test('SGD: plain step is p - lr * g', () => {
  const p = param([1, -2]);
  const opt = new SGD([p], { lr: 0.1 });
  setGrad(p, [0.5, -1]);
  opt.step();
  close(p.data, [1 - 0.05, -2 + 0.1]);
});

test('SGD: momentum buffer and coupled weight decay over two steps (PyTorch semantics)', () => {
  const p = param([1, -2]);
  const opt = new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
  setGrad(p, [0.5, -1]);
  opt.step();
  // step 1: g = grad + wd p; buf = g; p -= lr buf
  const g1 = [0.5 + 0.01 * 1, -1 + 0.01 * -2];
  const p1 = [1 - 0.1 * g1[0]!, -2 - 0.1 * g1[1]!];
  close(p.data, p1);
  setGrad(p, [0.2, 0.3]);
  opt.step();
  const g2 = [0.2 + 0.01 * p1[0]!, 0.3 + 0.01 * p1[1]!];
  const b2 = [0.9 * g1[0]! + g2[0]!, 0.9 * g1[1]! + g2[1]!];
  close(p.data, [p1[0]! - 0.1 * b2[0]!, p1[1]! - 0.1 * b2[1]!]);
});

test('AdamW: two steps match the decoupled-decay formula', () => {
  const p = param([1, -2, 0.5]);
  const [b1, b2, eps, lr, wd] = [0.9, 0.999, 1e-8, 0.01, 0.1];
  const opt = new AdamW([p], { lr, weightDecay: wd });
  const grads = [[0.5, -1, 0], [0.1, 0.4, -0.3]];
  const w = [1, -2, 0.5];
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  grads.forEach((g, t) => {
    setGrad(p, g);
    opt.step();
    for (let j = 0; j < 3; j++) {
      w[j] = w[j]! * (1 - lr * wd);
      m[j] = b1 * m[j]! + (1 - b1) * g[j]!;
      v[j] = b2 * v[j]! + (1 - b2) * g[j]! ** 2;
      const mh = m[j]! / (1 - b1 ** (t + 1));
      const vh = v[j]! / (1 - b2 ** (t + 1));
      w[j] = w[j]! - (lr * mh) / (Math.sqrt(vh) + eps);
    }
    close(p.data, w);
  });
});

test('learning-rate multipliers and decay tags act per parameter; groups() reports them', () => {
  const body = param([1]);
  const head = param([1], { lrMult: 10 });
  const bias = param([1], { lrMult: 10, decay: false });
  const opt = new SGD([body, head, bias], { lr: 0.01, weightDecay: 0.5 });
  for (const p of [body, head, bias]) setGrad(p, [1]);
  opt.step();
  close(body.data, [1 - 0.01 * (1 + 0.5)]);
  close(head.data, [1 - 0.1 * (1 + 0.5)]);
  close(bias.data, [1 - 0.1 * 1]);
  assert.equal(opt.groups().map((g) => [g.lrMult, g.params.length]), [[1, 1], [10, 2]]);
  const adam = new AdamW([head, bias], { lr: 0.001, weightDecay: 0 });
  const before = [head.data[0]!, bias.data[0]!];
  setGrad(head, [3]);
  setGrad(bias, [-3]);
  adam.step();
  close([head.data[0]! - before[0]!, bias.data[0]! - before[1]!], [-0.01, 0.01], 1e-5); // first Adam step = lr * mult * sign
});

test('zeroGrad clears gradients; parameters without a gradient are left alone', () => {
  const a = param([1]);
  const b = param([2]);
  const opt = new SGD([a, b, a], { lr: 1, momentum: 0.9 });
  assert.is(opt.params.length, 2);
  setGrad(a, [1]);
  opt.step();
  close(a.data, [0]);
  close(b.data, [2]);
  opt.zeroGrad();
  assert.is(a.grad, null);
  assert.is(opt.stepCount, 1);
});

test('training schedule: linear warm-up over 5% of the steps, then exactly poly', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 5000 }), fc.double({ min: 1e-4, max: 1, noNaN: true }), (total, base) => {
    const w = warmupSteps(total);
    if (w < 1 || w > Math.max(1, Math.ceil(0.05 * total))) return false;
    for (let s = 0; s < total; s++) {
      const lr = trainLr(base, s, total);
      if (s >= w && lr !== polyLr(base, s, total)) return false;
      if (s < w && Math.abs(lr - (polyLr(base, s, total) * (s + 1)) / (w + 1)) > 1e-12 * base) return false;
      if (s > 0 && s <= w && !(lr > trainLr(base, s - 1, total) || polyLr(base, s, total) === 0)) return false; // rises while warming up
    }
    return trainLr(base, total, total) === 0;
  }), { numRuns: 50 });
  assert.is(warmupSteps(0), 0);
  assert.is(warmupSteps(450), 23);
});

test('poly schedule: base * (1 - step/total)^0.9, zero at the end', () => {
  assert.is(polyLr(0.01, 0, 100), 0.01);
  close([polyLr(0.01, 50, 100)], [0.01 * 0.5 ** 0.9], 1e-12);
  close([polyLr(1, 90, 100, 2)], [0.01], 1e-12);
  assert.is(polyLr(0.01, 100, 100), 0);
  assert.is(polyLr(0.01, 150, 100), 0);
  const lrs = Array.from({ length: 10 }, (_, s) => polyLr(1, s, 10));
  assert.ok(lrs.every((v, i) => i === 0 || v < lrs[i - 1]!));
});

test.run();
