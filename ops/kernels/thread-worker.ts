/**
 * Worker side of the synchronous thread pool (threads.ts): claims runs of a launch's output
 * rows from the launch's shared counter until none are left (the main thread claims too),
 * either on the main thread's shared-memory module (instantiated here once per module;
 * arguments and raw output live in that memory) or on its own build of the kernel from
 * source (arguments copied in from shared buffers); writes the rows it ran (unpacked when
 * the launch asks) into the shared output, and flags completion (the main thread blocks in
 * Atomics.wait). Between launches it waits on a doorbell (handle's caller, below).
 */
import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { kernelFor } from './gpu.js';
import type { Launch } from './program.js';
import type { CoreUnpack } from './unpack.js';
import { instantiateShared, runClaims, webasmPrepare, type Claims, type Prepared, type SharedModule } from './webasm-flat.js';

export interface ThreadTask {
  /** A shared-memory module to run in place, or else a kernel to build whose arguments are
   * views of shared buffers, `ids` their frozen ids (program.ts). */
  shared?: SharedModule;
  launch?: Launch & { args: Float32Array[] };
  ids?: number[];
  unpack: CoreUnpack | undefined;
  claims: Claims;
  /** Specs only: fail halfway through the claim after this many (webasm-flat.ts `runClaims`). */
  failAfter?: number;
  /** Where the rows go; null when they stay in the shared module's memory. */
  out: Float32Array | null;
  status: Int32Array;
  /** Rung (incremented, notified) by the main thread after each post to this worker. */
  bell: Int32Array;
  slot: number;
}

/** Instances of shared modules by gpu.js entry id, least recently used first. */
const instances = new Map<number, Prepared>();
/** Each pins its module's memory, which the main thread may have dropped: keep few. */
const LIMIT = 48;

function prepared(t: ThreadTask): Prepared | null {
  const s = t.shared;
  if (s === undefined) return webasmPrepare(kernelFor('webasm', t.launch!), t.launch!.args, t.ids);
  let p = instances.get(s.id);
  if (p !== undefined) instances.delete(s.id);
  else {
    p = instantiateShared(s);
    if (instances.size >= LIMIT) instances.delete(instances.keys().next().value!);
  }
  instances.set(s.id, p);
  return p;
}

/** Claim and run rows of one task and flag completion (1), or failure (2: the main thread
 * computes the rows this worker claimed but did not finish). */
function handle(t: ThreadTask): void {
  let state = 2;
  try {
    // rows all claimed already (this worker woke late): skip loading the arguments
    if (Atomics.load(t.claims.work, 0) >= t.claims.rows) state = 1;
    else {
      const p = prepared(t);
      if (p !== null) {
        runClaims(p, t.claims, t.unpack, t.out, t.failAfter);
        state = 1;
      }
    }
  } catch {
    state = 2;
  }
  Atomics.store(t.status, t.slot, state);
  Atomics.notify(t.status, t.slot);
}

/** How long a worker waits on its doorbell for the next launch before it returns to its
 * event loop (sleeping in a futex: no CPU). */
const DOORBELL_MS = 50;

parentPort!.on('message', (first: ThreadTask) => {
  handle(first);
  // Launches of a training step come in quick succession: a post + reply through the idle
  // worker's event loop took ~140 us, through this doorbell 20-45 us (measured on this
  // 2-core machine, one other process busy). So wait on the doorbell the main thread rings
  // after each post, and take the message off the port synchronously.
  const { bell, slot } = first;
  for (;;) {
    const rung = Atomics.load(bell, slot);
    const next = receiveMessageOnPort(parentPort!);
    if (next !== undefined) {
      handle(next.message as ThreadTask);
      continue;
    }
    if (Atomics.wait(bell, slot, rung, DOORBELL_MS) === 'timed-out') return;
  }
});
