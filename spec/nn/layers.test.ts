/** Module tree mechanics, Conv2d init and gradients, Sequential, BasicBlock. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, UserError, conv2d, randn, sum, mul, tensor, withPrecision, type Tensor } from '../../lib/index.js';
import { BasicBlock, BatchNorm2d, Conv2d, Module, Parameter, ReLU, Sequential } from '../../lib/nn/index.js';
import { values } from '../helpers/arbitrary.js';
import { assertGradient } from '../helpers/gradcheck.js';

/** Backward from a fixed random projection of the output; every parameter must get a non-zero gradient. */
function assertEveryParameterLearns(m: Module<Tensor>, x: Tensor): void {
  const y = m.forward(x);
  y.backward(randn(y.shape, { rng: new Rng(99) }));
  for (const [name, p] of m.namedParameters()) {
    assert.ok(p.grad !== null, `${name} got no gradient`);
    assert.ok(p.grad!.data.some((v) => v !== 0), `${name} got an all-zero gradient`);
  }
}

test('Kaiming-normal init: mean ~0, std ~sqrt(2/fanIn); zero bias', () => {
  const conv = new Conv2d(32, 64, 3, { bias: true, rng: new Rng(5) });
  const w = Array.from(conv.weight.data);
  const mean = w.reduce((a, b) => a + b, 0) / w.length;
  const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
  const want = Math.sqrt(2 / (32 * 9));
  assert.ok(Math.abs(mean) < 0.03 * want, `mean ${mean}`); // ~4 standard errors of 18,432 draws
  assert.ok(Math.abs(std / want - 1) < 0.03, `std ${std} vs ${want}`);
  assert.ok(conv.bias!.data.every((v) => v === 0));
  assert.is(conv.bias!.decay, false);
  assert.is(conv.weight.decay, true);
  const head = new Conv2d(32, 4, 3, { std: 0.01, rng: new Rng(5) });
  const hs = Math.sqrt(Array.from(head.weight.data).reduce((a, b) => a + b * b, 0) / head.weight.size);
  assert.ok(Math.abs(hs / 0.01 - 1) < 0.1, `head std ${hs}`);
});

test('seeded init is reproducible and seed-dependent', () => {
  const a = new Conv2d(4, 8, 3, { rng: new Rng(1) });
  const b = new Conv2d(4, 8, 3, { rng: new Rng(1) });
  const c = new Conv2d(4, 8, 3, { rng: new Rng(2) });
  assert.equal(Array.from(a.weight.data), Array.from(b.weight.data));
  assert.not.equal(Array.from(a.weight.data), Array.from(c.weight.data));
  const blocks = [1, 1, 2].map((s) => new BasicBlock(3, 6, { stride: 2, rng: new Rng(s) }));
  const flat = (m: Module<Tensor>) => m.parameters().flatMap((p) => Array.from(p.data));
  assert.equal(flat(blocks[0]!), flat(blocks[1]!));
  assert.not.equal(flat(blocks[0]!), flat(blocks[2]!));
});

test('Conv2d forward is conv2d with its weight, bias and geometry; gradients check in float64', () => {
  withPrecision('float64', () => {
    const conv = new Conv2d(2, 3, 3, { stride: 2, padding: 2, dilation: 2, bias: true, rng: new Rng(3) });
    conv.bias!.data.set([0.1, -0.2, 0.3]);
    const x = randn([2, 2, 5, 6], { rng: new Rng(4) });
    const want = conv2d(x, conv.weight, conv.bias, { stride: 2, padding: 2, dilation: 2 });
    assert.equal(Array.from(conv.forward(x).data), Array.from(want.data));
    assertGradient((xi) => conv.forward(xi), [values([2, 2, 5, 6], 7)]);
    assertEveryParameterLearns(conv, x);
  });
});

for (const [label, inC, outC, stride, dilation] of [
  ['identity shortcut', 4, 4, 1, 1],
  ['projection shortcut, stride 2', 3, 5, 2, 1],
  ['dilation 2, width change', 3, 4, 1, 2],
] as const) {
  test(`BasicBlock (${label}): input gradient checks in float64, every parameter learns`, () => {
    withPrecision('float64', () => {
      const block = new BasicBlock(inC, outC, { stride, dilation, rng: new Rng(11) });
      assert.is(block.shortcut !== null, stride !== 1 || inC !== outC);
      const x = values([2, inC, 6, 6], 21);
      assertGradient((xi) => block.forward(xi), [x]);
      const y = block.forward(tensor(x.data, x.shape));
      assert.equal(y.shape, [2, outC, 6 / stride, 6 / stride]);
      assertEveryParameterLearns(block, tensor(x.data, x.shape));
    });
  });
}

test('module tree: dotted names, buffers, train/eval recursion, numParameters', () => {
  const net = new Sequential({ conv: new Conv2d(3, 4, 3, { bias: true, rng: new Rng(0) }), bn: new BatchNorm2d(4), act: new ReLU(), block: new BasicBlock(4, 8, { stride: 2 }) });
  const names = net.namedParameters().map(([n]) => n);
  assert.equal(names.slice(0, 4), ['conv.weight', 'conv.bias', 'bn.weight', 'bn.bias']);
  assert.ok(names.includes('block.shortcut.conv.weight') && names.includes('block.shortcut.bn.bias'));
  assert.ok(net.namedBuffers().some(([n]) => n === 'block.bn2.running_var'));
  assert.is(net.numParameters(), 3 * 4 * 9 + 4 + 8 + (8 * 4 * 9 + 8 * 8 * 9 + 8 * 4 + 3 * 16));
  assert.ok(net.parameters().every((p) => p instanceof Parameter && p.requiresGrad));
  net.eval();
  assert.ok(net.namedModules().every(([, m]) => !m.training));
  net.train();
  assert.ok(net.namedModules().every(([, m]) => m.training));
  assert.equal(net.children().length, 4);
  assert.equal(new Sequential([new ReLU(), new ReLU()]).namedChildren().map(([n]) => n), ['0', '1']);
});

test('loadStateDict copies everything or nothing', () => {
  const a = new BasicBlock(2, 3, { rng: new Rng(1) });
  const b = new BasicBlock(2, 3, { rng: new Rng(2) });
  a.bn1.runningMean.data.set([1, 2, 3]);
  b.loadStateDict(a.stateDict());
  assert.equal(b.parameters().map((p) => Array.from(p.data)), a.parameters().map((p) => Array.from(p.data)));
  assert.equal(Array.from(b.bn1.runningMean.data), [1, 2, 3]);
  const before = b.parameters().map((p) => Array.from(p.data));
  const wrong = new Map(a.stateDict());
  wrong.set('bn2.bias', tensor([1, 2], [2]));
  assert.throws(() => b.loadStateDict(wrong), (e: Error) => e instanceof UserError && /bn2\.bias.*\[2\].*\[3\]/.test(e.message));
  wrong.delete('bn2.bias');
  assert.throws(() => b.loadStateDict(wrong), /'bn2.bias' is missing/);
  wrong.set('bn2.bias', tensor([1, 2, 3], [3]));
  wrong.set('extra', tensor([1], [1]));
  assert.throws(() => b.loadStateDict(wrong), /unexpected tensor 'extra'/);
  assert.equal(b.parameters().map((p) => Array.from(p.data)), before);
});

test('registering a name twice is a programming error', () => {
  class Twice extends Module {
    constructor() {
      super();
      this.addModule('a', new ReLU());
      this.addModule('a', new ReLU());
    }
    forward(x: Tensor): Tensor {
      return mul(x, 1);
    }
  }
  assert.throws(() => new Twice(), /'a' is registered twice/);
  assert.ok(sum(new ReLU().forward(tensor([-1, 2], [2]))).item() === 2);
});

test.run();
