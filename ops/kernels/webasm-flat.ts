/**
 * Fast path for synchronous gpu.js `webasm` calls. The public call shapes its result
 * into nested arrays: for a 4-component output that is one subarray object per thread,
 * which measured 20-40 ms for a 270k-thread conv (as long as a third of the compute).
 * Once a kernel is built, its active module exposes the flat output region, so we write
 * the arguments, run the same span dispatcher gpu.js uses, and slice the output.
 * This reads gpu.js 2.24 internals; if they are missing or the size signature differs,
 * it returns null and the caller uses the public call (the agreement tests cover both).
 */
import type { IKernelRunShortcut } from 'gpu.js';

interface ActiveEntry {
  sizeSignature: string;
  layout: { arrays: Record<string, { index: number; offset: number; flatLength: number }>; scalars: object; outputOffset: number };
  cells: number;
  f32: Float32Array;
  run: (start: number, end: number, seed: number) => void;
  runSimd: ((start: number, end: number, seed: number) => void) | null;
  shared: boolean;
}

interface WasmKernel {
  built?: boolean;
  _active?: ActiveEntry;
  _entryKey?: (args: unknown) => string;
  usesRandom?: boolean;
  componentCount: number;
  output: number[];
  constructor: { dispatchSpans?: (run: ActiveEntry['run'], simd: ActiveEntry['runSimd'], cells: number, sizeX: number, seed: number) => string };
}

export function webasmRunFlat(k: IKernelRunShortcut, args: Float32Array[]): Float32Array | null {
  const inner = k.kernel as unknown as WasmKernel;
  const dispatch = inner.constructor.dispatchSpans;
  const e = inner._active;
  if (!inner.built || e === undefined || dispatch === undefined || inner._entryKey === undefined || inner.usesRandom) return null;
  if (e.shared || Object.keys(e.layout.scalars).length > 0 || e.sizeSignature !== inner._entryKey(args)) return null;
  for (const rec of Object.values(e.layout.arrays)) {
    const a = args[rec.index]!;
    if (a.length !== rec.flatLength) return null;
    e.f32.set(a, rec.offset / 4);
  }
  dispatch(e.run, e.runSimd, e.cells, inner.output[0]!, 0);
  const base = e.layout.outputOffset / 4;
  return e.f32.slice(base, base + e.cells * inner.componentCount);
}
