/**
 * The webasm thread pool (ops/kernels/threads.ts): rows handed out dynamically, results
 * bitwise those of one thread whatever the split, and a failing worker's claimed rows
 * recomputed by the main thread.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conv2d, type Tensor } from '../../lib/index.js';
import * as threads from '../../ops/kernels/threads.js';
import { kernelBackends, seeded, valueAndGrads } from './helpers.js';

interface Case { N: number; C: number; K: number; H: number; W: number; dilation: number }

const conv = (c: Case) => (x: Tensor, w: Tensor, b?: Tensor) => conv2d(x, w, b ?? null, { stride: 1, padding: c.dilation, dilation: c.dilation });
const inputs = (c: Case, seed: number): Tensor[] => [seeded([c.N, c.C, c.H, c.W], seed), seeded([c.K, c.C, 3, 3], seed + 1), seeded([c.K], seed + 2)];

function withThreads<T>(n: number, f: () => T): T {
  process.env.EPSX_THREADS = String(n);
  try {
    return f();
  } finally {
    delete process.env.EPSX_THREADS;
  }
}

/** conv2d forward, backward-input and backward-weight on webasm with n threads. */
const run = (n: number, c: Case, seed: number): Float32Array[] => withThreads(n, () => valueAndGrads('webasm', conv(c), inputs(c, seed)));

const sameBits = (got: Float32Array[], want: Float32Array[], what: string): void =>
  got.forEach((a, i) => assert.ok(a.length === want[i]!.length && a.every((v, j) => Object.is(v, want[i]![j])), `${what}, output ${i}: bitwise the one-thread result`));

// forward and backward-input on the shared-memory module (4096+ cells, unpacked by rows),
// backward-weight on private modules; odd sizes, so claims end mid-way through groups
const cases: Case[] = [
  { N: 2, C: 16, K: 14, H: 23, W: 37, dilation: 1 },
  { N: 3, C: 12, K: 16, H: 21, W: 26, dilation: 2 },
];

test('5, 3 and 2 threads give bitwise the one-thread results (every launch split)', () => {
  if (!kernelBackends.includes('webasm')) return;
  for (const [i, c] of cases.entries()) {
    const want = run(1, c, 10 + i);
    for (const n of [5, 3, 2]) {
      const before = threads.threadedLaunches;
      sameBits(run(n, c, 10 + i), want, `${n} threads ${JSON.stringify(c)}`);
      assert.is(threads.threadedLaunches - before, 3, 'forward, backward-input and backward-weight were split');
    }
  }
});

test('a worker that fails halfway through a claim: the rows it claimed but did not finish are recomputed here, bitwise the one-thread results', () => {
  if (!kernelBackends.includes('webasm')) return;
  const c = cases[0]!;
  // fail on a worker's first claim, and on its second (after one finished claim)
  for (const after of [0, 1]) {
    const before = threads.recomputedRows;
    threads.failWorkersAfter(after);
    try {
      // a worker claims rows only when it wakes before this thread has taken them all: try
      // a few launches, new inputs each time (rows left unwritten would hold stale values)
      for (let seed = 1; seed <= 30 && threads.recomputedRows === before; seed++) {
        const got = run(3, c, 100 * after + seed);
        sameBits(got, run(1, c, 100 * after + seed), `failing after ${after} claims, seed ${seed}`);
      }
    } finally {
      threads.failWorkersAfter(null);
    }
    assert.ok(threads.recomputedRows > before, `a worker claimed rows and failed (after ${after} claims)`);
  }
  // the pool keeps working afterwards
  const before = threads.threadedLaunches;
  sameBits(run(3, c, 7), run(1, c, 7), 'after the failures');
  assert.is(threads.threadedLaunches - before, 3, 'still split over threads');
});

test.run();
