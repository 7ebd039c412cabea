/**
 * glSource (the kernel sources as gpu.js's GL backends get them) computes what the original
 * sources compute: every launch that conv, pooling, resize, BatchNorm and PAMR make on random
 * shapes is run twice on gpu.js's JavaScript backend, as written and rewritten, and the outputs
 * must be identical. The GLSL side itself is checked in a browser (spec/browser/playground.ts).
 */
import fc from 'fast-check';
import { GPU } from 'gpu.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { batchNormTrain } from '../../ops/batchnorm.js';
import { conv2d, gap, maxPool2d, pamr, resizeBilinear, resizeNearest, setBackend, type Tensor } from '../../lib/index.js';
import { glSource } from '../../ops/kernels/gl-source.js';
import { flatten, launchSize } from '../../ops/kernels/gpu.js';
import { materialize, type Launch } from '../../ops/kernels/program.js';
import { launchObserver } from '../../ops/kernels/run.js';
import { seeded } from './helpers.js';

test('glSource floors `| 0` groups and gives statements with nested reads their own block', () => {
  const src = 'function (x, xi) {\n  let a = 0.0;\n  a += x[(s | 0) + (xi[this.thread.x * 2 + 1] | 0)];\n  return x[((n * 4) | 0) + 1];\n}';
  assert.is(
    glSource(src),
    'function (x, xi) {\n  let a = 0.0;\n{   a += x[Math.floor(s) + Math.floor(xi[this.thread.x * 2 + 1])]; }\n  return x[Math.floor((n * 4)) + 1];\n}',
  );
});

/** The launches `fn` makes on the cpu backend. */
function launchesOf(fn: () => void): Launch[] {
  const seen: Launch[] = [];
  setBackend('cpu');
  // arguments materialised now: writers read op data the program may not keep
  launchObserver.fn = (l) => void seen.push({ ...l, args: l.args.map(materialize) });
  try {
    fn();
  } finally {
    launchObserver.fn = null;
  }
  return seen;
}

const gpu = new GPU({ mode: 'cpu' });
function runOnCpu(source: string, l: Launch): Float32Array {
  const k = gpu.createKernel(source, { output: l.output, precision: 'single', loopMaxIterations: 1 << 24 } as Parameters<GPU['createKernel']>[1]);
  try {
    return flatten(k(...(l.args as Float32Array[])), launchSize(l));
  } finally {
    k.destroy();
  }
}

test('rewritten kernel sources compute the same outputs as the originals (gpu.js cpu)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 3, max: 9 }), fc.integer({ min: 3, max: 9 }), fc.integer({ min: 1, max: 3 }), fc.nat(), (H, W, C, seed) => {
      const x = seeded([2, C, H, W], seed);
      const img = seeded([1, 3, H, W], seed + 1);
      const mask = seeded([1, 2, H, W], seed + 2, 0, 1);
      const grads = (y: Tensor): void => y.backward(seeded(y.shape, seed + 3));
      const launches = launchesOf(() => {
        const xs = new (x.constructor as typeof Tensor)(x.data, x.shape, true);
        grads(conv2d(xs, seeded([2, C, 3, 3], seed + 4), null, { padding: 1, dilation: 2, stride: 2 }));
        grads(gap(xs));
        grads(maxPool2d(xs, { kernel: 3, stride: 2, padding: 1 }));
        grads(resizeBilinear(xs, [H + 2, W - 1]));
        grads(resizeNearest(xs, [H - 1, W + 3]));
        grads(batchNormTrain(xs, null, null, { relu: true }).y);
        pamr(img, mask, { dilations: [1, 2], iterations: 2 });
      });
      assert.ok(launches.length >= 7, `${launches.length} launches`);
      let compared = 0;
      for (const l of launches) {
        const rewritten = glSource(l.source);
        if (rewritten === l.source) continue;
        compared++;
        const want = runOnCpu(l.source, l);
        const got = runOnCpu(rewritten, l);
        for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) assert.unreachable(`element ${i}: ${got[i]} vs ${want[i]} in\n${rewritten}`);
      }
      assert.ok(compared >= 2, `only ${compared} rewritten launches (resize and PAMR write \`| 0\` indices)`);
    }),
    { numRuns: 4 },
  );
});

test.after(() => void setBackend('auto'));
test.run();
