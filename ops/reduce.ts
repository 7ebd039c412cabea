/**
 * Reductions over axes: max is a primitive, mean a composite; sum, the adjoint of
 * broadcasting, is defined with it in ./broadcast.ts and re-exported here.
 */
import { apply } from '../lib/core/autograd.js';
import { defineRules } from '../lib/core/primitives.js';
import { normalizeAxes } from '../lib/core/shape.js';
import type { Tensor } from '../lib/core/tensor.js';
import { reduceRaw, sum, unreduce, type ReduceOptions } from './broadcast.js';
import { compare, div, mul } from './elementwise.js';

export { sum, type ReduceOptions } from './broadcast.js';

export const reduceRules = defineRules<'max'>({
  max: {
    forward: ([x], { axes, keepdim }) => reduceRaw(x!, axes, keepdim, 'max'),
    // The gradient is shared equally among tied maxima.
    vjp: (g, [x], out, { axes }) => {
      const isMax = compare(x!, 'eq', unreduce(out, x!, axes));
      const count = sum(isMax, axes, { keepdim: true });
      return [div(mul(unreduce(g, x!, axes), isMax), count)];
    },
  },
});

/** Max over axes (all axes when omitted). */
export function max(x: Tensor, axes?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  return apply(reduceRules.max, [x], { axes: normalizeAxes('max', axes, x.ndim), keepdim: opts.keepdim ?? false });
}

/** Mean over axes (all axes when omitted). */
export function mean(x: Tensor, axes?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  const ax = normalizeAxes('mean', axes, x.ndim);
  const count = ax.reduce((n, a) => n * x.shape[a]!, 1);
  return div(sum(x, ax, opts), count);
}
