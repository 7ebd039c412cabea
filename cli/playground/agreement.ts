/**
 * The kernel agreement check the page runs before training: every kernel op family, on the
 * chosen gpu.js backend and on the TypeScript reference, forward values and the gradients of
 * sum(f(x) * w) for a seeded w, compared within float32 tolerance. The launches made on the
 * backend are collected, so the page can say how many distinct kernels the check covered.
 */
import { setBackend, type KernelBackend } from '../../lib/core/backend.js';
import { Rng } from '../../lib/core/random.js';
import { Tensor } from '../../lib/core/tensor.js';
import { batchNormEval, batchNormTrain } from '../../ops/batchnorm.js';
import { conv2d } from '../../ops/conv.js';
import { pamr } from '../../ops/pamr.js';
import { gap, maxPool2d } from '../../ops/pool.js';
import { resizeBilinear, resizeNearest } from '../../ops/resize.js';
import { launchObserver } from '../../ops/kernels/run.js';

interface Case {
  name: string;
  shapes: number[][];
  f: (...xs: Tensor[]) => Tensor;
  /** false: forward only (PAMR runs detached in the method). */
  grads?: boolean;
}

const CASES: Case[] = [
  { name: 'conv2d 3x3 pad 1', shapes: [[2, 3, 7, 6], [4, 3, 3, 3], [4]], f: (x, w, b) => conv2d(x, w, b!, { padding: 1 }) },
  { name: 'conv2d stride 2 dilation 2', shapes: [[1, 5, 9, 8], [3, 5, 3, 3]], f: (x, w) => conv2d(x, w, null, { stride: 2, padding: 2, dilation: 2 }) },
  { name: 'conv2d 1x1', shapes: [[2, 8, 4, 4], [5, 8, 1, 1]], f: (x, w) => conv2d(x, w, null) },
  { name: 'gap', shapes: [[2, 3, 5, 4]], f: (x) => gap(x) },
  { name: 'maxPool2d 3/2 pad 1', shapes: [[2, 3, 7, 6]], f: (x) => maxPool2d(x, { kernel: 3, stride: 2, padding: 1 }) },
  { name: 'resizeBilinear', shapes: [[1, 2, 5, 7]], f: (x) => resizeBilinear(x, [8, 4]) },
  { name: 'resizeNearest', shapes: [[1, 2, 5, 7]], f: (x) => resizeNearest(x, [9, 3]) },
  { name: 'batchNorm+ReLU (train)', shapes: [[3, 4, 5, 3], [4], [4]], f: (x, g, b) => batchNormTrain(x, g!, b!, { relu: true }).y },
  { name: 'batchNorm+residual+ReLU (train)', shapes: [[2, 3, 4, 5], [3], [3], [2, 3, 4, 5]], f: (x, g, b, r) => batchNormTrain(x, g!, b!, { relu: true, residual: r! }).y },
  { name: 'batchNorm+ReLU (eval)', shapes: [[2, 3, 4, 5], [3], [3]], f: (x, g, b) => batchNormEval(x, g!, b!, [0.1, -0.2, 0.3], [0.5, 1.5, 2], { relu: true }) },
  { name: 'pamr', shapes: [[1, 3, 9, 8], [1, 3, 9, 8]], f: (im, m) => pamr(im, m, { dilations: [1, 2], iterations: 3 }), grads: false },
];

/** One case's outcome: the largest |a - b| / (atol + rtol |b|) over its outputs (<= 1 agrees). */
export interface AgreementRow {
  name: string;
  worst: number;
  ok: boolean;
  /** The first line of the error, when the backend failed to run the case (a kernel that does not compile there). */
  error?: string;
}

export interface Agreement {
  backend: KernelBackend;
  rows: AgreementRow[];
  /** Distinct kernel sources launched on the backend during the check. */
  kernels: number;
  ok: boolean;
}

const ATOL = 1e-4;
const RTOL = 1e-4;

function run(backend: KernelBackend, c: Case, inputs: Tensor[], weightSeed: number): Float32Array[] {
  setBackend(backend);
  const xs = inputs.map((t) => new Tensor(t.data, t.shape, c.grads !== false));
  const y = c.f(...xs);
  if (c.grads === false) return [y.data as Float32Array];
  const rng = new Rng(weightSeed);
  y.backward(new Tensor(Float32Array.from({ length: y.size }, () => rng.uniform(-1, 1)), y.shape));
  return [y.data as Float32Array, ...xs.map((x) => (x.grad?.data ?? new Float32Array(x.size)) as Float32Array)];
}

/** Check every case on `backend` against `reference`; leaves the backend selected. */
export function checkAgreement(backend: KernelBackend, seed = 1): Agreement {
  const sources = new Set<string>();
  const rows = CASES.map((c, i) => {
    const rng = new Rng(seed + i);
    const inputs = c.shapes.map((s) => new Tensor(Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)), s));
    if (c.name === 'pamr') inputs[1] = new Tensor(inputs[1]!.data.map((v) => (v + 1) / 2), inputs[1]!.shape); // a mask in [0,1]
    const want = run('reference', c, inputs, seed);
    launchObserver.fn = (l) => sources.add(l.source);
    let got: Float32Array[];
    try {
      got = run(backend, c, inputs, seed);
    } catch (e) {
      return { name: c.name, worst: Infinity, ok: false, error: (e instanceof Error ? e.message : String(e)).split('\n')[0]! };
    } finally {
      launchObserver.fn = null;
    }
    let worst = 0;
    want.forEach((w, k) => w.forEach((v, j) => (worst = Math.max(worst, Math.abs(got[k]![j]! - v) / (ATOL + RTOL * Math.abs(v))))));
    return { name: c.name, worst, ok: worst <= 1 };
  });
  setBackend(backend);
  return { backend, rows, kernels: sources.size, ok: rows.every((r) => r.ok) };
}
