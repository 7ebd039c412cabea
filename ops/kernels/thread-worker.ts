/**
 * Worker side of the synchronous thread pool (threads.ts): runs its share of a launch's
 * output rows, either on the main thread's shared-memory module (instantiated here once per
 * module; arguments and raw output live in that memory) or on its own build of the kernel
 * from source (arguments copied in from shared buffers); writes its rows (unpacked when the
 * launch asks) into the shared output, and flags completion (the main thread blocks in
 * Atomics.wait).
 */
import { parentPort } from 'node:worker_threads';
import { kernelFor } from './gpu.js';
import type { Launch } from './program.js';
import { unpackRows, type CoreUnpack } from './unpack.js';
import { instantiateShared, webasmPrepare, webasmRows, webasmRunRows, type Prepared, type SharedModule } from './webasm-flat.js';

export interface ThreadTask {
  /** A shared-memory module to run in place, or else a kernel to build whose arguments are
   * views of shared buffers, `ids` their frozen ids (program.ts). */
  shared?: SharedModule;
  launch?: Launch & { args: Float32Array[] };
  ids?: number[];
  unpack: CoreUnpack | undefined;
  row0: number;
  row1: number;
  /** Where the rows go; null when they stay in the shared module's memory. */
  out: Float32Array | null;
  status: Int32Array;
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

parentPort!.on('message', (t: ThreadTask) => {
  let state = 2;
  try {
    const p = prepared(t);
    if (p !== null) {
      webasmRunRows(p, t.row0, t.row1);
      const rows = webasmRows(p, t.row0, t.row1);
      if (t.unpack !== undefined) unpackRows(t.unpack, rows, t.row0, t.row1, t.out!);
      else if (t.out !== null) t.out.set(rows, t.row0 * p.sizeX * p.components);
      state = 1;
    }
  } catch {
    state = 2; // the main thread computes these rows itself
  }
  Atomics.store(t.status, t.slot, state);
  Atomics.notify(t.status, t.slot);
});
