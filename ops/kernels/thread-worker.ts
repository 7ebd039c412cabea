/**
 * Worker side of the synchronous thread pool (threads.ts): builds the same gpu.js webasm
 * kernel from the launch source, runs its share of output rows, writes them (unpacked when
 * the launch asks) into the shared output buffer, and flags completion (the main thread blocks in Atomics.wait).
 */
import { parentPort } from 'node:worker_threads';
import { kernelFor } from './gpu.js';
import type { Launch } from './program.js';
import { unpackRows } from './unpack.js';
import { webasmPrepare, webasmRows, webasmRunRows } from './webasm-flat.js';

export interface ThreadTask {
  /** Arguments are views of shared buffers; `ids` their frozen ids (program.ts). */
  launch: Launch & { args: Float32Array[] };
  ids: number[];
  row0: number;
  row1: number;
  out: Float32Array;
  status: Int32Array;
  slot: number;
}

parentPort!.on('message', (t: ThreadTask) => {
  const status = t.status;
  let state = 2;
  try {
    const p = webasmPrepare(kernelFor('webasm', t.launch), t.launch.args, t.ids);
    if (p !== null) {
      webasmRunRows(p, t.row0, t.row1);
      const rows = webasmRows(p, t.row0, t.row1);
      if (t.launch.unpack !== undefined) unpackRows(t.launch.unpack, rows, t.row0, t.row1, t.out);
      else t.out.set(rows, t.row0 * p.sizeX * p.components);
      state = 1;
    }
  } catch {
    state = 2; // the main thread computes these rows itself
  }
  Atomics.store(status, t.slot, state);
  Atomics.notify(status, t.slot);
});
