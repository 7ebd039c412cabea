/** Async kernel entry points (threaded webasm; webgpu when an adapter answers) agree with the reference. */
import { test } from 'uvu';
import { asyncKernels, conv2d, gap, pamr, type KernelBackend } from '../../lib/index.js';
import { unavailableReason, webgpuUnavailableReason } from '../../lib/core/backend.js';
import { assertClose, onBackend, seeded, valueAndGrads } from './helpers.js';

async function asyncBackends(): Promise<KernelBackend[]> {
  const out: KernelBackend[] = [];
  if (unavailableReason('webasm') === null) out.push('webasm');
  const why = await webgpuUnavailableReason();
  if (why === null) out.push('webgpu');
  else console.log(`  (skipping webgpu: ${why})`);
  return out;
}

test('async conv2d (forward and both gradients), gap and pamr agree with the reference', async () => {
  // big enough (>= 4096 outputs) that webasm splits the launch over its worker pool
  const opts = { stride: 1, padding: 1, dilation: 1 };
  const x = seeded([2, 5, 24, 20], 1);
  const w = seeded([6, 5, 3, 3], 2);
  const b = seeded([6], 3);
  const [y, dx, dw] = valueAndGrads('reference', (a, c, d) => conv2d(a, c, d!, opts), [x, w, b]);
  const gy = seeded([2, 6, 24, 20], 7);
  const image = seeded([2, 3, 20, 24], 4, 0, 1);
  const mask = seeded([2, 4, 20, 24], 5, 0, 1);
  const refGap = onBackend('reference', () => gap(x));
  const refPamr = onBackend('reference', () => pamr(image, mask, { dilations: [1, 2, 4], iterations: 3 }));
  for (const backend of await asyncBackends()) {
    const k = asyncKernels(backend);
    assertClose((await k.conv2d(x, w, b, opts)).data, y!, `${backend} conv2d`);
    assertClose((await k.conv2dBackwardInput(gy, w, x.shape, opts)).data, dx!, `${backend} dx`);
    assertClose((await k.conv2dBackwardWeight(gy, x, w.shape, opts)).data, dw!, `${backend} dw`);
    assertClose((await k.gap(x)).data, refGap.data, `${backend} gap`);
    assertClose((await k.pamr(image, mask, { dilations: [1, 2, 4], iterations: 3 })).data, refPamr.data, `${backend} pamr`);
  }
});

test.run();
