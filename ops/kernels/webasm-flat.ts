/**
 * Fast path for synchronous gpu.js `webasm` calls, and the row-range runs the thread pool
 * needs. The public call shapes its result into nested arrays: for a 4-component output
 * that is one subarray object per thread, which measured 20-40 ms for a 270k-thread conv
 * (a third of its compute). A built kernel's active module exposes its flat argument and
 * output regions, so we write the arguments, run the same SIMD/scalar spans gpu.js runs
 * (any row range, so threads can split a launch), and copy the output out.
 * This reads gpu.js 2.24 internals; when they are missing (another version, a kernel that
 * fell back to cpu) `webasmPrepare` returns null and callers use the public call. The
 * agreement specs cover both paths.
 */
import type { IKernelRunShortcut } from 'gpu.js';
import { frozenId, type Arg, type Launch } from './program.js';
import { unpackRows, unpackedSize, type CoreUnpack } from './unpack.js';

interface ActiveEntry {
  sizeSignature: string;
  layout: { arrays: Record<string, { index: number; offset: number; flatLength: number }>; scalars: object; outputOffset: number };
  cells: number;
  f32: Float32Array;
  run: (start: number, end: number, seed: number) => void;
  runSimd: ((start: number, end: number, seed: number) => void) | null;
  shared: boolean;
  /** Built for gpu.js's async contract: memory is shared, module and memory can be posted. */
  id?: number;
  module?: WebAssembly.Module;
  memory?: WebAssembly.Memory;
  mathImports?: string[];
}

/** What another thread needs to run rows of a shared-memory module in place. */
export interface SharedModule {
  id: number;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  mathImports: string[];
  outputOffset: number;
  sizeX: number;
  components: number;
  rows: number;
}

interface WasmKernel {
  built?: boolean;
  fallbackRequested?: boolean;
  build(...args: unknown[]): void;
  _active?: ActiveEntry;
  _entryKey?: (args: unknown) => string;
  usesRandom?: boolean;
  componentCount: number;
  output: number[];
  constructor: { mode?: string };
}

/** A kernel whose arguments are loaded into its module, ready to run any rows. */
export interface Prepared {
  entry: Pick<ActiveEntry, 'run' | 'runSimd' | 'f32'> & { layout: { outputOffset: number } };
  /** Threads per row (thread.x extent) and floats per thread. */
  sizeX: number;
  components: number;
  rows: number;
  /** Set when the module's memory is shared (an async-contract build). */
  shared: SharedModule | null;
}

/** Another thread's instance of a shared-memory module: same memory, same arguments. */
export function instantiateShared(s: SharedModule): Prepared {
  const env: Record<string, WebAssembly.ImportValue> = { memory: s.memory };
  for (const name of s.mathImports) env[`math_${name}`] = (Math as unknown as Record<string, WebAssembly.ImportValue>)[name]!;
  const x = new WebAssembly.Instance(s.module, { env }).exports as Record<string, ActiveEntry['run'] | undefined>;
  const entry = { run: x.run!, runSimd: x.run_simd ?? null, f32: new Float32Array(s.memory.buffer), layout: { outputOffset: s.outputOffset } };
  return { entry, sizeX: s.sizeX, components: s.components, rows: s.rows, shared: s };
}

/** Per module: the frozen id (program.ts `freeze`) each argument slot holds, 0 = unknown. */
const held = new WeakMap<ActiveEntry, number[]>();

/** Load `args` into k's module (writers write in place; a frozen array the slot already
 * holds, by `ids`, is not copied again). Null when the internals are not usable, or the
 * module's memory is shared and `shared` is not allowed. */
export function webasmPrepare(k: IKernelRunShortcut, args: Arg[], ids: number[] = args.map(frozenId), shared = false): Prepared | null {
  const inner = k.kernel as unknown as WasmKernel;
  if (inner.constructor.mode !== 'webasm' || typeof inner.build !== 'function' || inner._entryKey === undefined) return null;
  // building reads only argument types and sizes
  const shapes = (): Float32Array[] => args.map((a) => (a instanceof Float32Array ? a : new Float32Array(a.length)));
  if (!inner.built) inner.build(...shapes());
  const e = inner._active;
  if (inner.fallbackRequested || e === undefined || inner.usesRandom || (e.shared && !shared)) return null;
  let slots = held.get(e);
  if (slots === undefined) {
    // a kernel's argument sizes are fixed (gpu.ts caches kernels by them): check once
    if (Object.keys(e.layout.scalars).length > 0 || e.sizeSignature !== inner._entryKey(shapes())) return null;
    held.set(e, (slots = []));
  }
  for (const rec of Object.values(e.layout.arrays)) {
    const a = args[rec.index]!;
    if (a.length !== rec.flatLength) return null;
    const id = ids[rec.index] ?? 0;
    if (id !== 0 && slots[rec.index] === id) continue;
    slots[rec.index] = 0; // a failed write below must not leave a stale claim
    if (a instanceof Float32Array) e.f32.set(a, rec.offset / 4);
    else a.write(e.f32, rec.offset / 4);
    slots[rec.index] = id;
  }
  const sizeX = inner.output[0]!;
  const [components, rows] = [inner.componentCount, e.cells / sizeX];
  const sm = e.shared && e.module && e.memory && e.id !== undefined
    ? { id: e.id, module: e.module, memory: e.memory, mathImports: e.mathImports ?? [], outputOffset: e.layout.outputOffset, sizeX, components, rows }
    : null;
  if (e.shared && sm === null) return null;
  return { entry: e, sizeX, components, rows, shared: sm };
}

/** Run output rows [row0, row1): SIMD quads never cross a row, the remainder runs scalar. */
export function webasmRunRows(p: Prepared, row0: number, row1: number): void {
  const { run, runSimd } = p.entry;
  const quad = p.sizeX & ~3;
  if (runSimd !== null && quad === p.sizeX) {
    runSimd(row0 * p.sizeX, row1 * p.sizeX, 0);
    return;
  }
  for (let r = row0; r < row1; r++) {
    const base = r * p.sizeX;
    if (runSimd !== null && quad > 0) runSimd(base, base + quad, 0);
    run(runSimd !== null ? base + quad : base, base + p.sizeX, 0);
  }
}

/** The output floats of rows [row0, row1), as a view into the module's memory. */
export function webasmRows(p: Prepared, row0: number, row1: number): Float32Array {
  const base = p.entry.layout.outputOffset / 4;
  const per = p.sizeX * p.components;
  return p.entry.f32.subarray(base + row0 * per, base + row1 * per);
}

/**
 * A launch's output rows handed out through a shared counter (guided scheduling): `work[0]` is
 * the first unclaimed row; a thread claims the next 1/(2 * threads) of the rows left (at least
 * `min`, whole groups of `group` rows), so the first claims are long runs of contiguous rows
 * (an input row read for one output row is still cached for the next) and the last ones short
 * (a thread finishing its last claim keeps the others waiting only briefly). `work[1 + r]`
 * becomes 1 once row r is run and written: threads.ts recomputes the rows a failed worker
 * claimed but did not finish.
 */
export interface Claims {
  work: Int32Array;
  /** The launch's rows (`Prepared.rows`), the threads running it, the shortest claim. */
  rows: number;
  threads: number;
  min: number;
  /** Claims are whole multiples of this many rows (an unpacked launch's XB, unpack.ts). */
  group: number;
}

/** Claim rows until none are left, run each claim and write its rows: unpacked into `out`
 * when `unpack` is given, else copied into `out`, or left in module memory when `out` is null.
 * The same code on every thread, so a cell's value does not depend on who ran it. `failAfter`
 * (specs only): throw halfway through the claim after that many, as a failing worker would.
 * Returns the number of rows this thread ran. */
export function runClaims(p: Prepared, c: Claims, unpack: CoreUnpack | undefined, out: Float32Array | null, failAfter?: number): number {
  const { work, rows, threads, min, group } = c;
  let [ran, claims] = [0, 0];
  for (let r0 = Atomics.load(work, 0); ; ) {
    if (r0 >= rows) return ran;
    const want = Math.max(min, Math.ceil((rows - r0) / (2 * threads)));
    const r1 = Math.min(rows, r0 + want + ((group - (want % group)) % group));
    const seen = Atomics.compareExchange(work, 0, r0, r1);
    if (seen !== r0) {
      r0 = seen; // another thread claimed first
      continue;
    }
    if (claims++ === failAfter) {
      webasmRunRows(p, r0, r0 + ((r1 - r0) >> 1));
      throw new Error('failure injected by a spec');
    }
    runRange(p, r0, r1, unpack, out);
    // plain writes: the main thread reads them after this thread's Atomics.store of its
    // status (or, past the deadline, may miss some and recompute those rows: same values)
    work.fill(1, 1 + r0, 1 + r1);
    ran += r1 - r0;
    r0 = r1;
  }
}

/** Run rows [r0, r1) and write them as `runClaims` does. */
export function runRange(p: Prepared, r0: number, r1: number, unpack: CoreUnpack | undefined, out: Float32Array | null): void {
  webasmRunRows(p, r0, r1);
  if (unpack !== undefined) unpackRows(unpack, webasmRows(p, r0, r1), r0, r1, out!);
  else if (out !== null) out.set(webasmRows(p, r0, r1), r0 * p.sizeX * p.components);
}

/** The whole launch on this thread (a view of module memory when the launch is transient);
 * null when the internals are not usable. */
export function webasmRunFlat(k: IKernelRunShortcut, launch: Launch): Float32Array | null {
  const p = webasmPrepare(k, launch.args);
  if (p === null) return null;
  webasmRunRows(p, 0, p.rows);
  const rows = webasmRows(p, 0, p.rows);
  if (launch.unpack !== undefined) {
    const out = new Float32Array(unpackedSize(launch.unpack));
    unpackRows(launch.unpack, rows, 0, p.rows, out);
    return out;
  }
  return launch.transient ? rows : rows.slice();
}
