/**
 * Browser stand-in for ops/kernels/threads.ts (the bundle maps one to the other): the page
 * keeps webasm launches on the calling thread, as Node does with EPSX_THREADS=1, because the
 * Node pool blocks in Atomics.wait, which a page's main thread may not do.
 */
export const threadedLaunches = 0;

export function limitThreads(): void {}

export function threadCount(): number {
  return 1;
}

export function runThreaded(): null {
  return null;
}
