/**
 * Storage precision for new tensors. Training runs in float32; gradient checks switch to
 * float64 so that central finite differences are accurate (float32 differences are too noisy).
 * In float64 mode every op takes its plain TypeScript reference path.
 */
export type DataArray = Float32Array | Float64Array;
/** Storage precision of new tensors: 'float32' (training, the default) or 'float64' (gradient checks). */
export type Precision = 'float32' | 'float64';

let current: Precision = 'float32';

/** The precision new tensors are stored in now ('float32' unless inside withPrecision). */
export function getPrecision(): Precision {
  return current;
}

/** Run `fn` with every new tensor stored in `precision`; restores the previous mode after. */
export function withPrecision<T>(precision: Precision, fn: () => T): T {
  const saved = current;
  current = precision;
  try {
    return fn();
  } finally {
    current = saved;
  }
}

/** A zero-filled array of length n in the current precision. */
export function allocate(n: number): DataArray {
  return current === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/** Copy numbers into an array of the current precision. */
export function toDataArray(values: ArrayLike<number>): DataArray {
  return current === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
}
