/**
 * Browser stand-in for ops/kernels/wasm-codegen/wide-loads.ts: the wide-load code generator
 * patches gpu.js internals loaded from its Node sources, which the browser build of gpu.js
 * does not expose, so webasm in the page runs stock gpu.js code (same results, slower).
 */
export const emitted = { wide: 0, splat: 0 };

export function wideWasmKernel(): null {
  return null;
}

/** Stock gpu.js stores at most 4 floats per thread. */
export const MAX_COMPONENTS = 4;
