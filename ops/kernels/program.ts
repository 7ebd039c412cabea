/**
 * A kernel "program" is an op's host logic written once as a generator: it yields each
 * gpu.js launch it needs (source, output size, flat Float32Array arguments) and receives
 * the flat result. `runSync` drives it for the synchronous engine; `runAsync` drives the
 * same generator for the Promise-only backends (webgpu) and threaded webasm.
 */

/** One gpu.js launch. Sizes are baked into `source` as literals, so a source string fixes
 * its argument sizes and the compiled kernel can be cached by it. */
export interface Launch {
  /** Kernel function source (a `function (a, b) { ... }` string gpu.js transpiles). */
  source: string;
  /** gpu.js output size [x, y?, z?]; thread.x is the SIMD lane axis on webasm. */
  output: number[];
  args: Float32Array[];
  /** Floats per thread: 1, or 4 when the kernel returns [a, b, c, d]. */
  components: 1 | 4;
  /** Rough multiply-adds of the launch: decides whether splitting it over threads pays. */
  cost: number;
}

export type Program<T> = Generator<Launch, T, Float32Array>;

/** Largest integer a float32 holds exactly: gpu.js keeps kernel locals in f32. */
export const F32_EXACT = 1 << 24;

/** Round up to a multiple of m. */
export const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** Float32 view of op data (float64 tensors only reach kernels by mistake; copy them). */
export function f32(a: ArrayLike<number>): Float32Array {
  return a instanceof Float32Array ? a : Float32Array.from(a);
}
