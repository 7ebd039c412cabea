/**
 * Multi-core synchronous webasm launches. gpu.js only threads its async calls, and the
 * autograd engine is synchronous, so this pool splits a launch by output rows. A launch runs
 * on gpu.js's async-contract build, whose module memory is shared (gpu.js makes it so from
 * 4096 cells; sharedBuild asks for it at any size): the main thread writes the arguments
 * once, straight into it (packed weights only when they changed), and every worker runs its
 * rows on that same memory. Where no shared build is made (no threads in gpu.js's view, or
 * below `shareModulesFrom` cells) each thread builds a private module and copies the
 * arguments in from shared buffers reused across launches. The rows are handed out
 * dynamically (guided scheduling through a shared counter, webasm-flat.ts `Claims`): every
 * thread, this one included, claims runs of rows until none are left and writes (unpacks,
 * when asked) the rows it ran, so a worker that wakes late or runs slower takes fewer rows
 * instead of keeping the main thread waiting; then the main thread blocks in Atomics.wait
 * until the workers have finished their last claims. Results are identical whatever the
 * split (every output is computed by the same code). Workers are unref'd: they never keep
 * the process alive.
 * Threads: EPSX_THREADS, else the machine's available parallelism (capped at 8).
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../lib/worker-module.js';
import type { IKernelRunShortcut } from 'gpu.js';
import { frozenId, type Launch } from './program.js';
import type { ThreadTask } from './thread-worker.js';
import { unpackedSize } from './unpack.js';
import { kernelFor } from './gpu.js';
import { runRange, runClaims, webasmPrepare, webasmRows, type Claims, type Prepared } from './webasm-flat.js';

/** Launches below this many multiply-adds (~0.5 ms) run on the calling thread: posting a
 * task and copying its arguments costs ~0.1-1 ms. */
const MIN_COST = 2e6;

let workers: Worker[] | null = null;
/** Per worker slot (as `status`): rung after each post; thread-worker.ts waits on it between
 * launches. Sized once with the pool, since a waiting worker holds it. */
let bell: Int32Array = new Int32Array(new SharedArrayBuffer(0));
/** Launches split over threads so far (lets specs check that the threaded path ran). */
export let threadedLaunches = 0;
/** Of those, the ones run on a shared-memory module. */
export let sharedModuleLaunches = 0;
let broken = false;

let limit: number | null = null;

/** Split launches over at most n threads from now on (null: no limit), e.g. while another
 * thread of the process trains a model of its own on the other cores. */
export function limitThreads(n: number | null): void {
  limit = n;
}

export function threadCount(): number {
  const env = Number(process.env.EPSX_THREADS);
  const n = Number.isInteger(env) && env >= 1 ? env : Math.min(8, availableParallelism());
  return limit === null ? n : Math.max(1, Math.min(n, limit));
}

function pool(): Worker[] {
  if (workers !== null) return workers;
  workers = Array.from({ length: threadCount() - 1 }, () => {
    const w = spawn();
    w.unref();
    w.on('error', () => (broken = true));
    return w;
  });
  bell = new Int32Array(new SharedArrayBuffer(4 * (workers.length + 1)));
  return workers;
}

/** A worker running thread-worker (.js when built, .ts under tsx). */
function spawn(): Worker {
  return startModuleWorker(new URL(`./thread-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));
}

/** Buffers a private-module kernel reuses across launches: its arguments shared with the
 * workers (each thread copies them into its own module) and the frozen id each holds. */
interface SharedBufs { args: Float32Array[]; ids: number[] }
const buffers = new WeakMap<IKernelRunShortcut, SharedBufs>();

const sharedF32 = (n: number): Float32Array => new Float32Array(new SharedArrayBuffer(4 * n));

function buffersFor(k: IKernelRunShortcut, launch: Launch): SharedBufs {
  let b = buffers.get(k);
  if (b === undefined) buffers.set(k, (b = { args: launch.args.map((a) => sharedF32(a.length)), ids: launch.args.map(() => 0) }));
  return b;
}

/** Run a webasm launch over all threads; null when it should run single-threaded. The
 * result is a view of a reused buffer when the launch is transient, else the caller's own
 * array (over a SharedArrayBuffer when the threads wrote it there: a structured clone of it,
 * e.g. postMessage, shares the memory rather than copying it). */
export function runThreaded(launch: Launch): Float32Array | null {
  const cells = launch.output.reduce((a, b) => a * b, 1);
  const rows = cells / launch.output[0]!;
  const parts = Math.min(threadCount(), rows);
  if (broken || launch.cost < MIN_COST || parts < 2) return null;
  const u = launch.unpack;
  const size = u === undefined ? cells * launch.components : unpackedSize(u);
  const ids = launch.args.map(frozenId);
  // an async-contract kernel built over shared memory (sharedBuild): every thread runs its
  // rows on that one memory, so the arguments are written once, straight in
  const shared = cells < sharedFrom ? null : webasmPrepare(sharedBuild(kernelFor('webasm', launch, true)), launch.args, ids, true);
  if (shared?.shared) {
    sharedModuleLaunches++;
    return split(shared, launch, parts, size, { shared: shared.shared });
  }
  const k = kernelFor('webasm', launch);
  const b = buffersFor(k, launch);
  launch.args.forEach((a, i) => {
    if (ids[i] !== 0 && b.ids[i] === ids[i]) return; // the buffer still holds these weights
    b.ids[i] = 0;
    if (a instanceof Float32Array) b.args[i]!.set(a);
    else a.write(b.args[i]!, 0);
    b.ids[i] = ids[i]!;
  });
  const p = webasmPrepare(k, b.args, ids);
  if (p === null) return null;
  return split(p, launch, parts, size, { launch: { source: launch.source, output: launch.output, args: b.args, components: launch.components, cost: launch.cost }, ids });
}

/** Launches of at least this many cells run on a shared-memory module (sharedBuild), smaller
 * ones on a private module per thread: 0 by default (every threaded launch shares), gpu.js's
 * own threshold (4096, kernel.js `_threadable`) where a spec wants both paths to run. */
let sharedFrom = 0;

/** Set the cells from which threaded launches share one module (specs). */
export function shareModulesFrom(cells: number): void {
  sharedFrom = cells;
}

/**
 * `k`, built over shared memory whatever its size: gpu.js does that for async-contract
 * kernels from 4096 cells (`_threadable`), but a launch with few cells can still be
 * big (a weight gradient: one cell per (output channel, input channel), millions of
 * multiply-adds each). Otherwise each thread builds a private module and copies every
 * argument into it (3 copies of ~9 MB for the 32->32 64x64 weight gradient).
 */
function sharedBuild(k: IKernelRunShortcut): IKernelRunShortcut {
  const inner = k.kernel as unknown as { built?: boolean; asyncMode?: boolean; _threadable?: () => boolean; constructor: { isThreadsSupported?: boolean } };
  if (!inner.built && typeof inner._threadable === 'function') {
    const stock = inner._threadable.bind(inner);
    inner._threadable = () => stock() || (inner.asyncMode === true && inner.constructor.isThreadsSupported === true);
  }
  return k;
}

/** Output buffers of transient launches (those not read in place) by size, reused across
 * launches; the few most recent sizes are kept (a training loop cycles through a handful). */
const outputs = new Map<number, Float32Array>();
const OUTPUT_SIZES = 8;
const outputFor = (size: number): Float32Array => {
  let o = outputs.get(size);
  if (o !== undefined) outputs.delete(size);
  else {
    o = sharedF32(size);
    if (outputs.size >= OUTPUT_SIZES) outputs.delete(outputs.keys().next().value!);
  }
  outputs.set(size, o);
  return o;
};
let status = new Int32Array(new SharedArrayBuffer(4 * 8));

/** Specs only: each worker fails halfway through the claim after this many (null: never). */
let failAfter: number | null = null;
export function failWorkersAfter(claims: number | null): void {
  failAfter = claims;
}
/** Milliseconds this thread has spent blocked on workers after its last claim (benches
 * read it: bench/step-versions.ts). */
export let waitedMs = 0;
/** Rows claimed by a worker that failed, recomputed here (lets specs check that path ran). */
export let recomputedRows = 0;

/** The claim counter and row flags (webasm-flat.ts `Claims`), grown as needed. */
let work = new Int32Array(new SharedArrayBuffer(4 * 1024));

/** Rows per claim at least: about MIN_COST_CLAIM multiply-adds (launch.cost is the whole
 * launch's); runClaims rounds every claim up to whole groups of unpacked rows. */
const minClaim = (p: Prepared, launch: Launch): number => Math.max(1, Math.round((MIN_COST_CLAIM * p.rows) / launch.cost));
/** ~50 us of a conv on one core here: a claim costs a compare-exchange, a call into the
 * module and, for unpacked launches, a staging copy and a copy per channel (unpack.ts). */
const MIN_COST_CLAIM = 2.5e5;

/** Run prepared rows on all threads, handed out through the shared counter: every thread
 * (this one included) claims rows until none are left, so a thread that starts late or runs
 * slower simply takes fewer. `how` tells workers what to run (a shared module, or a kernel
 * to build and the shared argument buffers to copy into it). */
function split(p: Prepared, launch: Launch, parts: number, size: number, how: Pick<ThreadTask, 'shared' | 'launch' | 'ids'>): Float32Array {
  const u = launch.unpack;
  const ws = pool();
  parts = Math.min(parts, ws.length + 1); // the pool has the size threadCount() had at its start
  if (work.length < p.rows + 1) work = new Int32Array(new SharedArrayBuffer(4 * (p.rows + 1)));
  work.fill(0, 0, p.rows + 1);
  const claims: Claims = { work, rows: p.rows, threads: parts, min: minClaim(p, launch), group: launch.unpack?.XB ?? 1 };
  // rows land in `out` unless they already sit in shared module memory
  const inPlace = p.shared !== null && u === undefined;
  // a result the caller keeps is written straight into a fresh shared buffer (no copy
  // after the launch); a transient one into a buffer reused across launches
  const fresh = !inPlace && launch.transient !== true;
  const out = inPlace ? webasmRows(p, 0, p.rows) : fresh ? sharedF32(size) : outputFor(size);
  if (status.length < parts) status = new Int32Array(new SharedArrayBuffer(4 * parts));
  for (let i = 1; i < parts; i++) {
    Atomics.store(status, i, 0);
    const t: ThreadTask = { ...how, unpack: u, claims, out: inPlace ? null : out, status, bell, slot: i, ...(failAfter === null ? {} : { failAfter }) };
    ws[i - 1]!.postMessage(t);
    Atomics.add(bell, i, 1);
    Atomics.notify(bell, i);
  }
  threadedLaunches++;
  const dest = inPlace ? null : out;
  const t0 = performance.now();
  runClaims(p, claims, u, dest);
  // Error events cannot arrive while this thread blocks, so a dead worker is detected by a
  // deadline generous enough for a cold start (loading gpu.js, compiling the kernel).
  const t1 = performance.now();
  const deadline = t1 + Math.max(30_000, 20 * (t1 - t0));
  for (let i = 1; i < parts; i++) {
    while (Atomics.load(status, i) === 0 && !broken) {
      const left = deadline - performance.now();
      if (left <= 0) broken = true; // stop using the pool; compute the rows here
      else Atomics.wait(status, i, 0, left);
    }
  }
  waitedMs += performance.now() - t1;
  // a failed (or, past the deadline, stuck) worker's claimed but unfinished rows: compute
  // them here (the module still holds this launch's arguments); a row is written by the
  // same code wherever it runs, so a stuck worker finishing it late writes the same values
  for (let r0 = 0; r0 < p.rows; r0++) {
    if (work[1 + r0] === 1) continue;
    let r1 = r0 + 1;
    while (r1 < p.rows && work[1 + r1] !== 1) r1++;
    runRange(p, r0, r1, u, dest);
    recomputedRows += r1 - r0;
    r0 = r1;
  }
  return fresh || launch.transient ? out : out.slice();
}
