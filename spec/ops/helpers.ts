/** Shared by the ops specs: the backends to compare, seeded tensors and a float32 closeness check. */
import * as assert from 'uvu/assert';
import { Rng, Tensor, setBackend, type KernelBackend } from '../../lib/index.js';
import { unavailableReason } from '../../lib/core/backend.js';

/** gpu.js backends that run synchronously here (webgpu is async-only: see async.test.ts). */
export const kernelBackends = (['webasm', 'cpu', 'headlessgl'] as const).filter((b) => unavailableReason(b) === null);

/** Run fn on a backend, restoring auto afterwards. */
export function onBackend<T>(backend: KernelBackend, fn: () => T): T {
  setBackend(backend);
  try {
    return fn();
  } finally {
    setBackend('auto');
  }
}

export function seeded(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: n }, () => rng.uniform(lo, hi)), shape);
}

/** |a - b| <= atol + rtol |b| elementwise (b is the reference). */
export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string, atol = 1e-4, rtol = 1e-4): void {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    const ok = Math.abs(a[i]! - b[i]!) <= atol + rtol * Math.abs(b[i]!);
    if (!ok) assert.unreachable(`${what}: element ${i}: ${a[i]} vs reference ${b[i]}`);
  }
}

/** Forward value and the gradients of sum(f(xs) * w) w.r.t. each input, on one backend. */
export function valueAndGrads(backend: KernelBackend, f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], seed = 7): Float32Array[] {
  return onBackend(backend, () => {
    const xs = inputs.map((t) => new Tensor(t.data, t.shape, true));
    const y = f(...xs);
    y.backward(seeded(y.shape, seed));
    return [y.data as Float32Array, ...xs.map((x) => (x.grad?.data ?? new Float32Array(x.size)) as Float32Array)];
  });
}
