/**
 * Drivers for kernel programs: synchronous (engine ops) and asynchronous (webgpu, and
 * webasm with gpu.js's worker-pool threads).
 */
import type { GpuMode } from './gpu.js';
import { flatten, kernelFor, launchSize } from './gpu.js';
import { materialize, type Launch, type Program } from './program.js';
import { runThreaded } from './threads.js';
import { unpackRows, unpackedSize } from './unpack.js';
import { webasmRunFlat } from './webasm-flat.js';

/** When set, sees every launch before it runs (specs collect the launches ops make). */
export const launchObserver: { fn: ((launch: Launch) => void) | null } = { fn: null };

/** Run one launch synchronously and return its flat output. */
export function launchSync(mode: GpuMode, launch: Launch): Float32Array {
  launchObserver.fn?.(launch);
  if (mode === 'webasm') {
    const flat = runThreaded(launch) ?? webasmRunFlat(kernelFor(mode, launch), launch);
    if (flat !== null) return flat;
  }
  const k = kernelFor(mode, launch);
  const result = k(...launch.args.map(materialize));
  if (result instanceof Promise) throw new Error(`backend ${mode} returned a Promise; engine ops need a synchronous backend`);
  return unpacked(launch, flatten(result, launchSize(launch)));
}

/** The launch's flat result in the layout it asks for. */
function unpacked(launch: Launch, flat: Float32Array): Float32Array {
  const u = launch.unpack;
  if (u === undefined) return flat;
  const out = new Float32Array(unpackedSize(u));
  unpackRows(u, flat, 0, flat.length / (launch.output[0]! * launch.components), out);
  return out;
}

export function runSync<T>(mode: GpuMode, program: Program<T>): T {
  let step = program.next();
  while (!step.done) step = program.next(launchSync(mode, step.value));
  return step.value;
}

/** Drive a program with Promise-returning kernels (webgpu; webasm async = threaded). */
export async function runAsync<T>(mode: GpuMode, program: Program<T>): Promise<T> {
  let step = program.next();
  while (!step.done) {
    const launch = step.value;
    const result: unknown = await kernelFor(mode, launch, true)(...launch.args.map(materialize));
    step = program.next(unpacked(launch, flatten(result, launchSize(launch))));
  }
  return step.value;
}
