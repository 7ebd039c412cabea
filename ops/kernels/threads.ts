/**
 * Multi-core synchronous webasm launches. gpu.js only threads its async calls, and the
 * autograd engine is synchronous, so this pool splits a launch by output rows: the main
 * thread posts each worker its rows (arguments are copied by postMessage), runs its own
 * share, then blocks in Atomics.wait until the workers have written their rows into a
 * shared buffer. Results are identical whatever the split (every output is computed by
 * the same code). Workers are unref'd: they never keep the process alive.
 * Threads: EPSX_THREADS, else the machine's available parallelism (capped at 8).
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../lib/worker-module.js';
import type { IKernelRunShortcut } from 'gpu.js';
import type { Launch } from './program.js';
import type { ThreadTask } from './thread-worker.js';
import { webasmPrepare, webasmRows, webasmRunRows } from './webasm-flat.js';

/** Launches below this many multiply-adds (~0.5 ms) run on the calling thread: posting a
 * task and copying its arguments costs ~0.1-1 ms. */
const MIN_COST = 2e6;

let workers: Worker[] | null = null;
/** Launches split over threads so far (lets specs check that the threaded path ran). */
export let threadedLaunches = 0;
let broken = false;

export function threadCount(): number {
  const env = Number(process.env.EPSX_THREADS);
  return Number.isInteger(env) && env >= 1 ? env : Math.min(8, availableParallelism());
}

function pool(): Worker[] {
  if (workers !== null) return workers;
  workers = Array.from({ length: threadCount() - 1 }, () => {
    const w = spawn();
    w.unref();
    w.on('error', () => (broken = true));
    return w;
  });
  return workers;
}

/** A worker running thread-worker (.js when built, .ts under tsx). */
function spawn(): Worker {
  return startModuleWorker(new URL(`./thread-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));
}

/** Run a webasm launch over all threads; null when it should run single-threaded. */
export function runThreaded(k: IKernelRunShortcut, launch: Launch): Float32Array | null {
  const size = launch.output.reduce((a, b) => a * b, 1) * launch.components;
  if (broken || launch.cost < MIN_COST || threadCount() < 2) return null;
  const p = webasmPrepare(k, launch.args);
  if (p === null) return null;
  const parts = Math.min(threadCount(), p.rows);
  if (parts < 2) return null;
  const ws = pool();
  const bounds = Array.from({ length: parts + 1 }, (_, i) => Math.round((i * p.rows) / parts));
  const per = p.sizeX * p.components;
  const shared = new SharedArrayBuffer(size * 4);
  const status = new SharedArrayBuffer(4 * parts);
  for (let i = 1; i < parts; i++) {
    const task: ThreadTask = { launch, row0: bounds[i]!, row1: bounds[i + 1]!, out: shared, status, slot: i };
    ws[i - 1]!.postMessage(task);
  }
  threadedLaunches++;
  const out = new Float32Array(size);
  const t0 = performance.now();
  webasmRunRows(p, 0, bounds[1]!);
  out.set(webasmRows(p, 0, bounds[1]!));
  // Error events cannot arrive while this thread blocks, so a dead worker is detected by a
  // deadline generous enough for a cold start (loading gpu.js, compiling the kernel).
  const deadline = performance.now() + Math.max(30_000, 20 * (performance.now() - t0));
  const flags = new Int32Array(status);
  const view = new Float32Array(shared);
  for (let i = 1; i < parts; i++) {
    while (Atomics.load(flags, i) === 0 && !broken) {
      const left = deadline - performance.now();
      if (left <= 0) broken = true; // stop using the pool; compute the rows here
      else Atomics.wait(flags, i, 0, left);
    }
    const [r0, r1] = [bounds[i]!, bounds[i + 1]!];
    if (Atomics.load(flags, i) === 1) out.set(view.subarray(r0 * per, r1 * per), r0 * per);
    else {
      // a worker failed: compute its rows here (the module still holds this launch's arguments)
      webasmRunRows(p, r0, r1);
      out.set(webasmRows(p, r0, r1), r0 * per);
    }
  }
  return out;
}
