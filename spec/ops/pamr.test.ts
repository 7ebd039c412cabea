/** PAMR (docs/method.md#pamr): properties, a hand-computed 3x3 case, and backend agreement. */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ShapeError, Tensor, pamr, pamrAffinity, type KernelBackend } from '../../lib/index.js';
import { pamrEach } from '../../ops/pamr.js';
import { assertClose, kernelBackends, onBackend, seeded } from './helpers.js';

const backends: KernelBackend[] = ['reference', ...kernelBackends];

const caseArb = fc.record({
  N: fc.integer({ min: 1, max: 2 }),
  K: fc.integer({ min: 1, max: 3 }),
  C: fc.integer({ min: 1, max: 4 }),
  H: fc.integer({ min: 1, max: 9 }),
  W: fc.integer({ min: 1, max: 9 }),
  dilations: fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
  iterations: fc.integer({ min: 0, max: 4 }),
  seed: fc.nat(),
});

/** A mask whose channels sum to 1 at every pixel (like softmax probabilities). */
function probabilities(shape: number[], seed: number): Tensor {
  const m = seeded(shape, seed, 0.01, 1);
  const [N, C, H, W] = shape as [number, number, number, number];
  for (let n = 0; n < N; n++)
    for (let p = 0; p < H * W; p++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += m.data[(n * C + c) * H * W + p]!;
      for (let c = 0; c < C; c++) m.data[(n * C + c) * H * W + p]! /= s;
    }
  return m;
}

for (const backend of backends) {
  test(`pamr on ${backend}: per-pixel convex combination (range and class sums preserved)`, () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const image = seeded([c.N, c.K, c.H, c.W], c.seed, 0, 1);
        const mask = probabilities([c.N, c.C, c.H, c.W], c.seed + 1);
        const out = onBackend(backend, () => pamr(image, mask, { dilations: c.dilations, iterations: c.iterations }));
        assert.equal(out.shape, mask.shape);
        assert.not.ok(out.requiresGrad || out.node);
        const HW = c.H * c.W;
        for (let n = 0; n < c.N; n++)
          for (let p = 0; p < HW; p++) {
            let s = 0;
            for (let ch = 0; ch < c.C; ch++) {
              const i = (n * c.C + ch) * HW + p;
              // each output is a convex combination of that channel's input values
              let lo = Infinity, hi = -Infinity;
              for (let q = 0; q < HW; q++) [lo, hi] = [Math.min(lo, mask.data[(n * c.C + ch) * HW + q]!), Math.max(hi, mask.data[(n * c.C + ch) * HW + q]!)];
              // float32: the alphas sum to 1 only up to rounding (about 1e-6 per iteration)
              assert.ok(out.data[i]! >= lo - 1e-5 && out.data[i]! <= hi + 1e-5, `range at ${i}: ${out.data[i]} outside [${lo}, ${hi}]`);
              s += out.data[i]!;
            }
            assert.ok(Math.abs(s - 1) < 2e-5, `class sum ${s} at pixel ${p}`);
          }
      }),
      { numRuns: 15 },
    );
  });

  test(`pamr on ${backend}: a constant mask is a fixed point; alpha is a distribution`, () => {
    fc.assert(
      fc.property(caseArb, fc.double({ min: -3, max: 3, noNaN: true }), (c, v) => {
        const image = seeded([c.N, c.K, c.H, c.W], c.seed, 0, 1);
        const mask = new Tensor(new Float32Array(c.N * c.C * c.H * c.W).fill(v), [c.N, c.C, c.H, c.W]);
        const out = onBackend(backend, () => pamr(image, mask, { dilations: c.dilations, iterations: c.iterations }));
        assertClose(out.data, mask.data, 'constant mask', 1e-5, 1e-5);
        const alpha = onBackend(backend, () => pamrAffinity(image, c.dilations));
        const J = 8 * c.dilations.length;
        assert.equal(alpha.shape, [c.N, J, c.H, c.W]);
        const HW = c.H * c.W;
        for (let n = 0; n < c.N; n++)
          for (let p = 0; p < HW; p++) {
            let s = 0;
            for (let j = 0; j < J; j++) s += alpha.data[(n * J + j) * HW + p]!;
            assert.ok(Math.abs(s - 1) < 1e-5 && alpha.data.every((a) => a >= 0), `alpha sums to ${s}`);
          }
      }),
      { numRuns: 15 },
    );
  });

  test(`pamr on ${backend}: affinities are invariant to X + b and X * s`, () => {
    fc.assert(
      fc.property(caseArb, fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: 0.2, max: 5, noNaN: true }), (c, b, s) => {
        const image = seeded([c.N, c.K, c.H, c.W], c.seed, 0, 1);
        const map = (f: (v: number) => number) => new Tensor(image.data.map(f), image.shape);
        const base = onBackend(backend, () => pamrAffinity(image, c.dilations));
        // float32 inputs: shifting by b rounds each value by ~|b| 2^-24, so compare loosely
        assertClose(onBackend(backend, () => pamrAffinity(map((v) => v + b), c.dilations)).data, base.data, 'shift', 2e-3, 2e-3);
        assertClose(onBackend(backend, () => pamrAffinity(map((v) => v * s), c.dilations)).data, base.data, 'scale', 2e-3, 2e-3);
      }),
      { numRuns: 10 },
    );
  });
}

for (const backend of kernelBackends) {
  test(`pamr and pamrAffinity on ${backend} agree with the reference`, () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const image = seeded([c.N, c.K, c.H, c.W], c.seed, 0, 1);
        const mask = seeded([c.N, c.C, c.H, c.W], c.seed + 1);
        const ref = onBackend('reference', () => [pamrAffinity(image, c.dilations), pamr(image, mask, c)]);
        const got = onBackend(backend, () => [pamrAffinity(image, c.dilations), pamr(image, mask, c)]);
        got.forEach((t, i) => assertClose(t.data, ref[i]!.data, `${i} ${JSON.stringify(c)}`));
      }),
      { numRuns: 15 },
    );
  });
}

for (const backend of backends) {
  test(`pamrEach on ${backend} = pamr on each image alone (channel counts differ), bit for bit`, () => {
    fc.assert(
      fc.property(caseArb, fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 2 }), (c, Cs) => {
        const image = seeded([c.N, c.K, c.H, c.W], c.seed, 0, 1);
        const masks = Array.from({ length: c.N }, (_, n) => seeded([1, Cs[n]!, c.H, c.W], c.seed + 1 + n));
        const opts = { dilations: c.dilations, iterations: c.iterations };
        const each = onBackend(backend, () => pamrEach(image, masks, opts));
        masks.forEach((m, n) => {
          const alone = onBackend(backend, () => pamr(new Tensor(image.data.slice(n * c.K * c.H * c.W, (n + 1) * c.K * c.H * c.W), [1, c.K, c.H, c.W]), m, opts));
          assert.equal(each[n]!.shape, m.shape);
          assert.equal(Array.from(each[n]!.data), Array.from(alone.data), `image ${n} of ${JSON.stringify(c)}, channels ${Cs}`);
        });
      }),
      { numRuns: 15 },
    );
  });
}

test('pamrEach splits batches past the float32 index range into chunks (same as one image at a time)', () => {
  // 3 images of 320x320 with 48 neighbours: alpha is 4.9M floats per image, so the kernels take one image per launch
  const image = seeded([3, 3, 320, 320], 21, 0, 1);
  const masks = [1, 2, 1].map((C, n) => seeded([1, C, 320, 320], 22 + n));
  // the chunking is the program's, the same on every backend: the fastest one checks it
  for (const backend of kernelBackends.slice(0, 1)) {
    const each = onBackend(backend, () => pamrEach(image, masks, { iterations: 1 }));
    masks.forEach((m, n) => {
      const alone = onBackend(backend, () => pamr(new Tensor(image.data.slice(n * 307200, (n + 1) * 307200), [1, 3, 320, 320]), m, { iterations: 1 }));
      assert.equal(Array.from(each[n]!.data), Array.from(alone.data), `${backend} image ${n}`);
    });
  }
});

test('pamr default dilations and iterations run on a 64x64 image', () => {
  const image = seeded([1, 3, 64, 64], 5, 0, 1);
  const mask = probabilities([1, 7, 64, 64], 6);
  const ref = onBackend('reference', () => pamr(image, mask));
  for (const backend of kernelBackends) assertClose(onBackend(backend, () => pamr(image, mask)).data, ref.data, backend);
});

test('hand-computed 3x3 case (one channel, dilation 1)', () => {
  const X = [
    [0.1, 0.5, 0.2],
    [0.9, 0.4, 0.3],
    [0.0, 0.8, 0.6],
  ];
  const M = [
    [1, 0, 0],
    [0, 2, 0],
    [0, 0, 4],
  ];
  const img = new Tensor(Float32Array.from(X.flat()), [1, 1, 3, 3]);
  const mask = new Tensor(Float32Array.from(M.flat()), [1, 1, 3, 3]);
  const at = (y: number, x: number) => [Math.min(2, Math.max(0, y)), Math.min(2, Math.max(0, x))] as const;
  const offsets = [[-1, -1], [-1, 0], [-1, 1], [0, -1], [0, 1], [1, -1], [1, 0], [1, 1]];
  /** alpha at pixel (y, x) from the formula: std over the 9 taps (centre once), softmax of -|diff| / (1e-8 + 0.1 std). */
  const alphaAt = (y: number, x: number): number[] => {
    const taps = [[0, 0], ...offsets].map(([dy, dx]) => at(y + dy!, x + dx!)).map(([a, b]) => X[a]![b]!);
    const mean = taps.reduce((s, v) => s + v, 0) / 9;
    const std = Math.sqrt(taps.reduce((s, v) => s + (v - mean) ** 2, 0) / 8);
    const a = taps.slice(1).map((v) => -Math.abs(X[y]![x]! - v) / (1e-8 + 0.1 * std));
    const z = a.reduce((s, v) => s + Math.exp(v), 0);
    return a.map((v) => Math.exp(v) / z);
  };
  // centre X(1,1) = 0.4: the neighbours 0.5 (up, j=1) and 0.3 (right, j=4) are the closest
  // (|diff| = 0.1), so they share the largest weight
  const centre = alphaAt(1, 1);
  assert.ok(Math.abs(centre[1]! - centre[4]!) < 1e-12 && centre.every((v) => v <= centre[1]! + 1e-12));
  // one step for the centre and a corner (corner neighbours are clamped to the border)
  const stepAt = (y: number, x: number): number => alphaAt(y, x).reduce((s, a, j) => { const [p, q] = at(y + offsets[j]![0]!, x + offsets[j]![1]!); return s + a * M[p]![q]!; }, 0);
  for (const backend of backends) {
    const alpha = onBackend(backend, () => pamrAffinity(img, [1]));
    assertClose(Array.from({ length: 8 }, (_, j) => alpha.data[j * 9 + 4]!), centre, `${backend} alpha centre`, 1e-5, 1e-4);
    assertClose(Array.from({ length: 8 }, (_, j) => alpha.data[j * 9]!), alphaAt(0, 0), `${backend} alpha corner`, 1e-5, 1e-4);
    const out = onBackend(backend, () => pamr(img, mask, { dilations: [1], iterations: 1 }));
    assertClose([out.data[4]!, out.data[0]!], [stepAt(1, 1), stepAt(0, 0)], `${backend} one step`, 1e-5, 1e-4);
  }
});

test('pamr shape errors name the op and the shapes', () => {
  assert.throws(() => pamr(seeded([1, 3, 4, 4], 1), seeded([1, 2, 4, 5], 2)), (e: Error) => e instanceof ShapeError && /pamr: image and mask must share N, H and W; got image \[1,3,4,4\], mask \[1,2,4,5\]/.test(e.message));
  assert.throws(() => pamr(seeded([1, 3, 4, 4], 1), seeded([1, 2, 4, 4], 2), { dilations: [0] }), /pamr: dilations/);
});

test.run();
