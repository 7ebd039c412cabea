/**
 * Whether ops record the graph. Its own module because both the Tensor (whose `backward`
 * runs the vjps without recording) and `apply` (which records) read it.
 */
let gradEnabled = true;

/** False inside noGrad(): ops then record no graph. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run `fn` without recording anything for autograd. */
export function noGrad<T>(fn: () => T): T {
  const saved = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = saved;
  }
}
