/** BatchNorm2d: gradients of the train-mode forward, eval with running stats, PyTorch's running-stat update. */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, randn, tensor, withPrecision, type Tensor } from '../../lib/index.js';
import { BasicBlock, BatchNorm2d, batchNorm2dTrain } from '../../lib/nn/index.js';
import { seedArb, values } from '../helpers/arbitrary.js';
import { assertGradient } from '../helpers/gradcheck.js';

/** Direct float64 formulas per channel: mean, biased and unbiased variance. */
function channelStats(x: Tensor): Array<{ mean: number; biased: number; unbiased: number }> {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  return Array.from({ length: C }, (_, c) => {
    const vals: number[] = [];
    for (let n = 0; n < N; n++) for (let p = 0; p < H * W; p++) vals.push(x.data[(n * C + c) * H * W + p]!);
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const ss = vals.reduce((a, v) => a + (v - mean) ** 2, 0);
    return { mean, biased: ss / vals.length, unbiased: ss / (vals.length - 1) };
  });
}

test('train-mode forward: gradients w.r.t. input, weight and bias match finite differences', () => {
  const shape = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 3 }));
  fc.assert(
    fc.property(shape, seedArb, ([N, C, H, W], seed) => {
      assertGradient((x, w, b) => batchNorm2dTrain(x, w, b).y, [values([N, C, H, W], seed), values([C], seed + 1, { lo: 0.5, hi: 2 }), values([C], seed + 2)]);
    }),
    { numRuns: 12 },
  );
});

test('train-mode output is (x - mean) / sqrt(var + eps) * w + b with the biased batch variance', () => {
  withPrecision('float64', () => {
    const x = randn([3, 2, 4, 5], { rng: new Rng(3) });
    const bn = new BatchNorm2d(2, { eps: 1e-3 });
    bn.weight!.data.set([1.5, -0.5]);
    bn.bias!.data.set([0.25, 2]);
    const y = bn.forward(x);
    const stats = channelStats(x);
    for (let i = 0; i < x.size; i++) {
      const c = Math.floor(i / 20) % 2;
      const want = ((x.data[i]! - stats[c]!.mean) / Math.sqrt(stats[c]!.biased + 1e-3)) * [1.5, -0.5][c]! + [0.25, 2][c]!;
      assert.ok(Math.abs(y.data[i]! - want) < 1e-9, `element ${i}: ${y.data[i]} vs ${want}`);
    }
  });
});

test('running statistics update as PyTorch: momentum 0.1, unbiased variance', () => {
  withPrecision('float64', () => {
    const bn = new BatchNorm2d(3);
    const expMean = [0, 0, 0];
    const expVar = [1, 1, 1];
    for (let step = 0; step < 3; step++) {
      const x = randn([2, 3, 3, 4], { rng: new Rng(10 + step) });
      for (let i = 0; i < x.size; i++) x.data[i] = x.data[i]! * (1 + step) + step; // moving statistics
      bn.forward(x);
      channelStats(x).forEach((s, c) => {
        expMean[c] = 0.9 * expMean[c]! + 0.1 * s.mean;
        expVar[c] = 0.9 * expVar[c]! + 0.1 * s.unbiased;
      });
    }
    for (let c = 0; c < 3; c++) {
      assert.ok(Math.abs(bn.runningMean.data[c]! - expMean[c]!) < 1e-12, `mean ${c}`);
      assert.ok(Math.abs(bn.runningVar.data[c]! - expVar[c]!) < 1e-12, `var ${c}`);
    }
  });
});

test('eval mode normalises with the running statistics and does not update them', () => {
  const bn = new BatchNorm2d(2).eval();
  bn.runningMean.data.set([1, -2]);
  bn.runningVar.data.set([4, 0.25]);
  bn.weight!.data.set([2, 1]);
  bn.bias!.data.set([0, 1]);
  const x = tensor([3, 5, -2, -1], [1, 2, 1, 2]);
  const y = bn.forward(x);
  const want = [(3 - 1) / Math.sqrt(4 + 1e-5) * 2, (5 - 1) / Math.sqrt(4 + 1e-5) * 2, 1, (-1 + 2) / Math.sqrt(0.25 + 1e-5) + 1];
  y.data.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `${v} vs ${want[i]}`));
  assert.equal(Array.from(bn.runningMean.data), [1, -2]);
  assert.equal(Array.from(bn.runningVar.data), [4, 0.25]);
});

test('eval-mode gradients reach input, weight and bias', () => {
  const bn = new BatchNorm2d(2).eval();
  const x = randn([2, 2, 3, 3], { rng: new Rng(1), requiresGrad: true });
  const y = bn.forward(x);
  y.backward(randn(y.shape, { rng: new Rng(2) }));
  for (const t of [x, bn.weight!, bn.bias!]) assert.ok(t.grad !== null && t.grad.data.some((v) => v !== 0));
});

test('BatchNorm2d registers weight, bias and running stats; affine=false has no parameters', () => {
  assert.equal([...new BatchNorm2d(4).stateDict().keys()], ['weight', 'bias', 'running_mean', 'running_var']);
  assert.is(new BatchNorm2d(4, { affine: false }).numParameters(), 0);
  assert.throws(() => new BatchNorm2d(4).forward(randn([1, 3, 2, 2])), /BatchNorm2d: expects \[N,4,H,W\]/);
});

test('fused BN+ReLU and BN+residual+ReLU (a BasicBlock) equal the unfused layers, in training and eval, values and gradients', () => {
  /** Output and parameter gradients of a block; `hooked` wraps each BN's forward, which turns fusion off. */
  const run = (training: boolean, hooked: boolean): Float32Array[] => {
    const block = new BasicBlock(3, 4, { stride: 2, rng: new Rng(5) }).train(training);
    if (hooked) for (const bn of [block.bn1, block.bn2]) Object.defineProperty(bn, 'forward', { value: BatchNorm2d.prototype.forward.bind(bn), configurable: true });
    const x = randn([2, 3, 6, 6], { rng: new Rng(6), requiresGrad: true });
    const y = block.forward(x);
    y.backward(randn(y.shape, { rng: new Rng(7) }));
    return [y.data, x.grad!.data, ...block.parameters().map((p) => p.grad!.data)] as Float32Array[];
  };
  for (const training of [true, false]) {
    const fused = run(training, false);
    run(training, true).forEach((want, i) =>
      want.forEach((v, j) => assert.ok(Math.abs(fused[i]![j]! - v) <= 1e-5 + 1e-5 * Math.abs(v), `training ${training}, tensor ${i}[${j}]: ${fused[i]![j]} vs ${v}`)),
    );
  }
});

test.run();
