/** conv2d: every kernel backend agrees with the reference; gradients match finite differences. */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ShapeError, Tensor, conv2d } from '../../lib/index.js';
import * as threads from '../../ops/kernels/threads.js';
import * as weightCache from '../../ops/kernels/weight-cache.js';
import { planesWriter, type PackSpec } from '../../ops/kernels/pack.js';
import { SGD } from '../../lib/optim/sgd.js';
import { Parameter } from '../../lib/nn/parameter.js';
import { assertGradient } from '../helpers/gradcheck.js';
import { values } from '../helpers/arbitrary.js';
import { assertClose, kernelBackends, seeded, valueAndGrads } from './helpers.js';

interface Case {
  N: number; C: number; K: number; H: number; W: number; kh: number; kw: number;
  stride: [number, number]; padding: [number, number]; dilation: [number, number]; bias: boolean; seed: number;
}

const outOk = (n: number, k: number, s: number, p: number, d: number): boolean => n + 2 * p - d * (k - 1) - 1 >= 0;

const caseArb = (maxHW: number, maxC: number): fc.Arbitrary<Case> =>
  fc
    .record({
      N: fc.integer({ min: 1, max: 2 }),
      C: fc.integer({ min: 1, max: maxC }),
      K: fc.integer({ min: 1, max: maxC + 1 }),
      H: fc.integer({ min: 1, max: maxHW }),
      W: fc.integer({ min: 1, max: maxHW }),
      kh: fc.constantFrom(1, 3),
      kw: fc.constantFrom(1, 3, 2),
      stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      padding: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
      dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      bias: fc.boolean(),
      seed: fc.nat(),
    })
    .filter((c) => outOk(c.H, c.kh, c.stride[0], c.padding[0], c.dilation[0]) && outOk(c.W, c.kw, c.stride[1], c.padding[1], c.dilation[1]));

const inputs = (c: Case): Tensor[] => [
  seeded([c.N, c.C, c.H, c.W], c.seed),
  seeded([c.K, c.C, c.kh, c.kw], c.seed + 1),
  ...(c.bias ? [seeded([c.K], c.seed + 2)] : []),
];

const f = (c: Case) => (x: Tensor, w: Tensor, b?: Tensor) => conv2d(x, w, b ?? null, { stride: c.stride, padding: c.padding, dilation: c.dilation });

for (const backend of kernelBackends) {
  test(`conv2d forward, backward-input and backward-weight on ${backend} agree with the reference`, () => {
    fc.assert(
      fc.property(caseArb(9, 5), (c) => {
        const ref = valueAndGrads('reference', f(c), inputs(c));
        const got = valueAndGrads(backend, f(c), inputs(c));
        ['y', 'dx', 'dw', 'db'].slice(0, ref.length).forEach((name, i) => assertClose(got[i]!, ref[i]!, `${name} ${JSON.stringify(c)}`));
      }),
      { numRuns: 25 },
    );
  });
}

test('strided backward-input (phase by phase: the taps reaching each output position mod the stride) agrees with the reference, strides 2-3, dilations 1-3, kernels 1-5', () => {
  const arb = fc
    .record({
      N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 5 }), K: fc.integer({ min: 1, max: 6 }),
      H: fc.integer({ min: 1, max: 11 }), W: fc.integer({ min: 1, max: 11 }),
      kh: fc.integer({ min: 1, max: 5 }), kw: fc.integer({ min: 1, max: 5 }),
      stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 3 })),
      padding: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
      dilation: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      bias: fc.constant(false), seed: fc.nat(),
    })
    .filter((c) => outOk(c.H, c.kh, c.stride[0], c.padding[0], c.dilation[0]) && outOk(c.W, c.kw, c.stride[1], c.padding[1], c.dilation[1]));
  for (const backend of kernelBackends)
    fc.assert(
      fc.property(arb, (c) => {
        const ref = valueAndGrads('reference', f(c), inputs(c));
        valueAndGrads(backend, f(c), inputs(c)).forEach((a, i) => assertClose(a, ref[i]!, `${backend} output ${i} ${JSON.stringify(c)}`));
      }),
      { numRuns: 40 },
    );
});

test('conv2d agrees on the common 3x3 padding-1 layer shape', () => {
  const c: Case = { N: 2, C: 8, K: 8, H: 12, W: 12, kh: 3, kw: 3, stride: [1, 1], padding: [1, 1], dilation: [1, 1], bias: true, seed: 3 };
  const ref = valueAndGrads('reference', f(c), inputs(c));
  for (const backend of kernelBackends) valueAndGrads(backend, f(c), inputs(c)).forEach((a, i) => assertClose(a, ref[i]!, `${backend} output ${i}`));
});

test('conv2d agrees on rows 32+ wide (the weight gradient steps 8 pixels there), odd widths and stride 2', () => {
  for (const [W, stride] of [[37, 1], [70, 2]] as const) {
    const c: Case = { N: 1, C: 3, K: 5, H: 5, W, kh: 3, kw: 3, stride: [1, stride], padding: [1, 1], dilation: [1, 1], bias: true, seed: W };
    const ref = valueAndGrads('reference', f(c), inputs(c));
    for (const backend of kernelBackends) valueAndGrads(backend, f(c), inputs(c)).forEach((a, i) => assertClose(a, ref[i]!, `${backend} W ${W} output ${i}`));
  }
});

test('layers whose packed weights exceed the per-launch budget run as channel groups and agree with the reference (stride 1 and 2, K not a multiple of 8, one thread and split over threads)', () => {
  for (const [C, K, stride, H] of [[128, 132, 1, 3], [132, 128, 2, 3], [128, 132, 1, 7], [132, 128, 2, 9]] as const) {
    const c: Case = { N: 1, C, K, H, W: H, kh: 3, kw: 3, stride: [stride, stride], padding: [1, 1], dilation: [1, 1], bias: true, seed: C };
    const ref = valueAndGrads('reference', f(c), inputs(c));
    for (const backend of kernelBackends) valueAndGrads(backend, f(c), inputs(c)).forEach((a, i) => assertClose(a, ref[i]!, `${backend} C ${C} K ${K} output ${i}`));
  }
});

test('launches big enough to split over threads (3 here, whatever the cores) agree with the reference', () => {
  process.env.EPSX_THREADS = '3';
  const c: Case = { N: 2, C: 16, K: 14, H: 23, W: 24, kh: 3, kw: 3, stride: [1, 1], padding: [1, 1], dilation: [1, 1], bias: true, seed: 9 };
  const ref = valueAndGrads('reference', f(c), inputs(c));
  const before = threads.threadedLaunches;
  for (const backend of kernelBackends) valueAndGrads(backend, f(c), inputs(c)).forEach((a, i) => assertClose(a, ref[i]!, `${backend} output ${i}`));
  if (kernelBackends.includes('webasm')) {
    assert.is(threads.threadedLaunches - before, 3, 'forward, backward-input and backward-weight were split');
    // every output is computed whole by one thread: the split cannot change a bit
    const split = valueAndGrads('webasm', f(c), inputs(c));
    process.env.EPSX_THREADS = '1';
    valueAndGrads('webasm', f(c), inputs(c)).forEach((a, i) => assert.equal(Array.from(a), Array.from(split[i]!), `output ${i}: 1 thread and 3 threads bitwise equal`));
  }
  delete process.env.EPSX_THREADS;
});

// the second case's packed weights outgrow one launch (conv.ts channelGroups): its groups are
// still checked and packed as one entry, once per op
for (const [C, K] of [[3, 5], [128, 96]] as const) {
  test(`packed weights are reused while unchanged and repacked after an in-place SGD update (${C} -> ${K} channels)`, () => {
    const c: Case = { N: 1, C, K, H: 6, W: 7, kh: 3, kw: 3, stride: [1, 1], padding: [1, 1], dilation: [1, 1], bias: false, seed: 4 };
    const [x, w0] = inputs(c);
    const w = new Parameter(Float32Array.from(w0!.data), w0!.shape);
    const opt = new SGD([w], { lr: 0.5 });
    for (const backend of kernelBackends) {
      const step = () => valueAndGrads(backend, (a: Tensor) => f(c)(a, w), [x!]);
      step();
      const before = weightCache.weightPacks;
      const same = step();
      assert.is(weightCache.weightPacks, before, `${backend}: unchanged weights are not repacked`);
      w.grad = new Tensor(Float32Array.from(w.data, (_, i) => (i % 3) - 1), w.shape);
      opt.step();
      const after = step();
      assert.is(weightCache.weightPacks, before + 2, `${backend}: forward and backward-input packs rebuilt after the update`);
      const ref = valueAndGrads('reference', (a: Tensor) => f(c)(a, w), [x!]);
      after.forEach((a, i) => assertClose(a, ref[i]!, `${backend} after update, output ${i}`));
      assert.ok(same[0]!.some((v, i) => v !== after[0]![i]), 'the update changed the output');
    }
  });
}

test('threaded launches keep packed weights loaded only while unchanged, and results stay the caller\'s', () => {
  if (!kernelBackends.includes('webasm')) return;
  process.env.EPSX_THREADS = '3';
  threads.shareModulesFrom(4096); // launches under 4096 cells on private modules: both paths run
  try {
    const c: Case = { N: 2, C: 16, K: 16, H: 24, W: 41, kh: 3, kw: 3, stride: [1, 1], padding: [1, 1], dilation: [1, 1], bias: true, seed: 12 }; // forward 4096+ cells at 8 x per thread
    const [x, w0, b] = inputs(c);
    const w = new Parameter(Float32Array.from(w0!.data), w0!.shape);
    const opt = new SGD([w], { lr: 0.5 });
    const run = () => valueAndGrads('webasm', (a: Tensor) => f(c)(a, w, b!), [x!]);
    const first = run();
    const kept = first.map((a) => Float32Array.from(a));
    const before = threads.threadedLaunches;
    const inShared = threads.sharedModuleLaunches;
    for (let round = 0; round < 2; round++) {
      w.grad = new Tensor(Float32Array.from(w.data, (_, i) => ((i + round) % 3) - 1), w.shape);
      opt.step();
      const ref = valueAndGrads('reference', (a: Tensor) => f(c)(a, w, b!), [x!]);
      run().forEach((a, i) => assertClose(a, ref[i]!, `round ${round} after update, output ${i}`));
      run().forEach((a, i) => assertClose(a, ref[i]!, `round ${round} weights reused, output ${i}`));
    }
    assert.ok(threads.threadedLaunches - before >= 8, 'the launches were split');
    const sharedRuns = threads.sharedModuleLaunches - inShared;
    assert.ok(sharedRuns > 0 && sharedRuns < threads.threadedLaunches - before, 'both ways of splitting ran (shared module memory; private modules for small launches)');
    first.forEach((a, i) => assert.equal(Array.from(a), Array.from(kept[i]!), `output ${i} of the first call is not overwritten by later launches`));
    // by default every threaded launch shares one module, small ones included; same results
    threads.shareModulesFrom(0);
    const [threaded, sharedBefore] = [threads.threadedLaunches, threads.sharedModuleLaunches];
    const all = run();
    assert.ok(threads.threadedLaunches > threaded, 'the launches were split');
    assert.is(threads.sharedModuleLaunches - sharedBefore, threads.threadedLaunches - threaded, 'every split launch ran on a shared module');
    all.forEach((a, i) => assertClose(a, valueAndGrads('reference', (x2: Tensor) => f(c)(x2, w, b!), [x!])[i]!, `all shared, output ${i}`));
  } finally {
    threads.shareModulesFrom(0);
    delete process.env.EPSX_THREADS;
  }
});

test('planesWriter over stale memory writes exactly the per-element packing (padding, zero insertion, fill)', () => {
  fc.assert(
    fc.property(
      fc.record({
        N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 5 }),
        // rows of 64+ pixels copy whole (one memcpy), shorter ones pixel by pixel
        W: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 62, max: 68 })),
        offY: fc.integer({ min: -2, max: 3 }), offX: fc.integer({ min: -2, max: 3 }), stepY: fc.integer({ min: 1, max: 2 }), stepX: fc.integer({ min: 1, max: 2 }),
        Hq: fc.integer({ min: 1, max: 12 }), Wq: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 60, max: 72 })), tail: fc.integer({ min: 0, max: 4 }), fill: fc.constantFrom(0, -Infinity),
        at: fc.integer({ min: 0, max: 3 }), typed: fc.boolean(),
      }),
      (c) => {
        const spec: PackSpec = c;
        const data = Float32Array.from({ length: c.N * c.C * c.H * c.W }, (_, i) => i + 1);
        const src = c.typed ? data : Array.from(data);
        const w = planesWriter(src, spec);
        const plane = c.N * c.Hq * c.Wq;
        const want = new Float32Array(c.C * plane + c.tail).fill(c.fill);
        for (let n = 0; n < c.N; n++)
          for (let ch = 0; ch < c.C; ch++)
            for (let y = 0; y < c.H; y++)
              for (let x = 0; x < c.W; x++) {
                const [r, q] = [y * c.stepY + c.offY, x * c.stepX + c.offX];
                if (r >= 0 && r < c.Hq && q >= 0 && q < c.Wq) want[ch * plane + (n * c.Hq + r) * c.Wq + q] = data[((n * c.C + ch) * c.H + y) * c.W + x]!;
              }
        const dst = new Float32Array(c.at + w.length + 2).fill(7.5); // stale contents
        w.write(dst, c.at);
        assert.equal(Array.from(dst.subarray(c.at, c.at + w.length)), Array.from(want));
        assert.ok(dst[c.at - 1] === undefined || dst[c.at - 1] === 7.5, 'nothing before the region');
        assert.is(dst[c.at + w.length], 7.5, 'nothing after the region');
      },
    ),
    { numRuns: 1000 },
  );
});

test('conv2d gradients match finite differences (float64 reference path)', () => {
  fc.assert(
    fc.property(caseArb(5, 3), (c) => {
      const shapes = [[c.N, c.C, c.H, c.W], [c.K, c.C, c.kh, c.kw], ...(c.bias ? [[c.K]] : [])];
      assertGradient(f(c), shapes.map((s, i) => values(s, c.seed + i)));
    }),
    { numRuns: 15 },
  );
});

test('conv2d shape errors name the op and the shapes', () => {
  const x = seeded([1, 3, 5, 5], 1);
  assert.throws(() => conv2d(x, seeded([4, 2, 3, 3], 2), null), (e: Error) => e instanceof ShapeError && /conv2d.*\[1,3,5,5\].*\[4,2,3,3\]/.test(e.message));
  assert.throws(() => conv2d(x, seeded([4, 3, 3, 3], 2), seeded([3], 3)), (e: Error) => /conv2d: bias must be \[4\]/.test(e.message));
  assert.throws(() => conv2d(x, seeded([4, 3, 7, 7], 2), null), (e: Error) => /conv2d: empty output/.test(e.message));
  assert.throws(() => conv2d(seeded([3, 5, 5], 1), seeded([4, 3, 3, 3], 2), null), (e: Error) => /conv2d: expects input \[N,C,H,W\]/.test(e.message));
  assert.throws(() => conv2d(x, seeded([4, 3, 3, 3], 2), null, { stride: 0 }), (e: Error) => /conv2d: stride/.test(e.message));
});

test.run();
