/** Reductions over axes: sum and max are primitives; mean is a composite. */
import { apply } from '../lib/autograd.js';
import type { RuleTable } from '../lib/primitives.js';
import { normalizeAxes, sizeOf, stridesOf } from '../lib/shape.js';
import type { Tensor } from '../lib/tensor.js';
import { compare, div, mul } from './elementwise.js';
import { broadcastTo, reshape } from './shape.js';
import { scatterReduce } from './strided.js';

/** Options of the reductions: `keepdim` keeps reduced axes as size 1 (default false). */
export interface ReduceOptions {
  keepdim?: boolean;
}

function reducedShape(shape: readonly number[], axes: number[], keepdim: boolean): number[] {
  return keepdim ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

function reduceRaw(x: Tensor, axes: number[], keepdim: boolean, mode: 'sum' | 'max') {
  const kept = reducedShape(x.shape, axes, true);
  const keptStrides = stridesOf(kept);
  const outStrides = x.shape.map((_, i) => (axes.includes(i) ? 0 : keptStrides[i]!));
  const data = scatterReduce(x.data, x.shape, outStrides, sizeOf(kept), mode);
  return { data, shape: reducedShape(x.shape, axes, keepdim) };
}

/** Bring a reduced gradient back to the input's shape. */
function unreduce(g: Tensor, x: Tensor, axes: number[]): Tensor {
  return broadcastTo(reshape(g, reducedShape(x.shape, axes, true)), x.shape);
}

export const reduceRules: RuleTable<'sum' | 'max'> = {
  sum: {
    forward: ([x], { axes, keepdim }) => reduceRaw(x!, axes, keepdim, 'sum'),
    vjp: (g, [x], _, { axes }) => [unreduce(g, x!, axes)],
  },
  max: {
    forward: ([x], { axes, keepdim }) => reduceRaw(x!, axes, keepdim, 'max'),
    // The gradient is shared equally among tied maxima.
    vjp: (g, [x], out, { axes }) => {
      const isMax = compare(x!, 'eq', unreduce(out, x!, axes));
      const count = sum(isMax, axes, { keepdim: true });
      return [div(mul(unreduce(g, x!, axes), isMax), count)];
    },
  },
};

/** Sum over axes (all axes when omitted). */
export function sum(x: Tensor, axes?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  return apply('sum', [x], { axes: normalizeAxes('sum', axes, x.ndim), keepdim: opts.keepdim ?? false });
}

/** Max over axes (all axes when omitted). */
export function max(x: Tensor, axes?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  return apply('max', [x], { axes: normalizeAxes('max', axes, x.ndim), keepdim: opts.keepdim ?? false });
}

/** Mean over axes (all axes when omitted). */
export function mean(x: Tensor, axes?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  const ax = normalizeAxes('mean', axes, x.ndim);
  const count = ax.reduce((n, a) => n * x.shape[a]!, 1);
  return div(sum(x, ax, opts), count);
}
