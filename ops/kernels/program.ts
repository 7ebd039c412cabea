/**
 * A kernel "program" is an op's host logic written once as a generator: it yields each
 * gpu.js launch it needs (source, output size, flat Float32Array arguments) and receives
 * the flat result. `runSync` drives it for the synchronous engine; `runAsync` drives the
 * same generator for the Promise-only backends (webgpu) and threaded webasm.
 */
import type { CoreUnpack } from './unpack.js';

/** One gpu.js launch. Sizes are baked into `source` as literals, so a source string fixes
 * its argument sizes and the compiled kernel can be cached by it. */
export interface Launch {
  /** Kernel function source (a `function (a, b) { ... }` string gpu.js transpiles). */
  source: string;
  /** gpu.js output size [x, y?, z?]; thread.x is the SIMD lane axis on webasm. */
  output: number[];
  args: Arg[];
  /** Floats per thread: 1, 4 when the kernel returns [a, b, c, d], up to `maxComponents`
   * (gpu.ts) where the backend stores wider returns. */
  components: number;
  /** Rough multiply-adds of the launch: decides whether splitting it over threads pays. */
  cost: number;
  /** The program reads the result before its next yield and keeps no reference to it, so
   * the driver may hand back a view of a reused buffer (the wasm module's output region)
   * instead of a fresh copy. */
  transient?: boolean;
  /** The driver returns the output in this layout (unpacked by row ranges, over threads). */
  unpack?: CoreUnpack;
}

/** An argument written straight into its destination (wasm module memory or a shared
 * buffer), so host-side packing makes no intermediate array. `write` sets every one of
 * dst[at, at + length): the destination holds stale data. */
export interface ArgWriter {
  length: number;
  write(dst: Float32Array, at: number): void;
}

export type Arg = Float32Array | ArgWriter;

/** The argument as a fresh array (backends that take arrays). */
export function materialize(a: Arg): Float32Array {
  if (a instanceof Float32Array) return a;
  const out = new Float32Array(a.length);
  a.write(out, 0);
  return out;
}

const frozenIds = new WeakMap<Float32Array, number>();
let nextFrozen = 1;

/** Declare an argument array never written again (packed weights): a kernel module that
 * already holds it skips the copy. */
export function freeze(a: Float32Array): void {
  if (!frozenIds.has(a)) frozenIds.set(a, nextFrozen++);
}

/** A frozen array's id (stable while it lives), else 0. */
export const frozenId = (a: Arg): number => (a instanceof Float32Array ? frozenIds.get(a) ?? 0 : 0);

export type Program<T> = Generator<Launch, T, Float32Array>;

/** Largest integer a float32 holds exactly: gpu.js keeps kernel locals in f32. */
export const F32_EXACT = 1 << 24;

/** Round up to a multiple of m. */
export const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** Float32 view of op data (float64 tensors only reach kernels by mistake; copy them). */
export function f32(a: ArrayLike<number>): Float32Array {
  return a instanceof Float32Array ? a : Float32Array.from(a);
}
