/** Softmax family, composed from primitives (gradients come for free). */
import { detach, noGrad } from '../lib/core/autograd.js';
import { normalizeAxes } from '../lib/core/shape.js';
import type { Tensor } from '../lib/core/tensor.js';
import { add, exp, log, maximum, mul, neg, sigmoid, sub } from './elementwise.js';
import { max, sum } from './reduce.js';

/** log(sum(exp(x))) over an axis; the max shift is detached (the result does not depend on it). */
export function logsumexp(x: Tensor, axis: number, opts: { keepdim?: boolean } = {}): Tensor {
  const [a] = normalizeAxes('logsumexp', axis, x.ndim);
  const m = detach(noGrad(() => max(x, a!, { keepdim: true })));
  const lse = add(log(sum(exp(sub(x, m)), a!, { keepdim: true })), m);
  return opts.keepdim ? lse : sum(lse, a!); // summing a size-1 axis drops it
}

/** log(softmax(x)) along `axis`, computed stably as x - logsumexp(x); same shape as x. */
export function logSoftmax(x: Tensor, axis: number): Tensor {
  return sub(x, logsumexp(x, axis, { keepdim: true }));
}

/** exp(x) normalised to sum 1 along `axis` (e.g. axis 1 of [N,C,H,W] logits); same shape as x, values in [0,1]. */
export function softmax(x: Tensor, axis: number): Tensor {
  return exp(logSoftmax(x, axis));
}

/** log(1 + exp(x)), stable, with the exact gradient sigmoid(x) everywhere (no kink at 0). */
export function softplus(x: Tensor): Tensor {
  const m = detach(noGrad(() => maximum(x, 0)));
  return add(m, log(add(exp(neg(m)), exp(sub(x, m)))));
}

/**
 * Hyperbolic tangent elementwise, in (-1, 1), as the composite 2 sigmoid(2x) - 1 (its gradient
 * 1 - tanh^2 comes from sigmoid's rule). Near 0 the subtraction costs relative precision: in
 * float32 the absolute error stays about 1e-7, so tanh(1e-8) gives 0.
 */
export function tanh(x: Tensor): Tensor {
  return sub(mul(sigmoid(mul(x, 2)), 2), 1);
}
