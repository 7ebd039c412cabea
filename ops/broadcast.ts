/**
 * Broadcasting and its adjoint: `expand` stretches size-1 axes, `sum` adds axes up, and
 * each is the other's gradient, so the two primitives share a module (one each side would
 * import each other). The other reductions (max, mean) are in ./reduce.ts, above.
 */
import { apply } from '../lib/core/autograd.js';
import { defineRules } from '../lib/core/primitives.js';
import { allocate } from '../lib/core/precision.js';
import { assertShape, normalizeAxes, sameShape, shapeStr, sizeOf, stridesOf } from '../lib/core/shape.js';
import type { Tensor } from '../lib/core/tensor.js';
import { reshape } from './movement.js';
import { gather, scatterReduce } from './strided.js';

/** Options of the reductions: `keepdim` keeps reduced axes as size 1 (default false). */
export interface ReduceOptions {
  keepdim?: boolean;
}

function reducedShape(shape: readonly number[], axes: number[], keepdim: boolean): number[] {
  return keepdim ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/** A sum or max over `axes` on raw arrays (the forward of both reduction primitives). */
export function reduceRaw(x: Tensor, axes: number[], keepdim: boolean, mode: 'sum' | 'max') {
  const kept = reducedShape(x.shape, axes, true);
  const keptStrides = stridesOf(kept);
  const outStrides = x.shape.map((_, i) => (axes.includes(i) ? 0 : keptStrides[i]!));
  const data = scatterReduce(x.data, x.shape, outStrides, sizeOf(kept), mode);
  return { data, shape: reducedShape(x.shape, axes, keepdim) };
}

/** Bring a reduced gradient back to the input's shape. */
export function unreduce(g: Tensor, x: Tensor, axes: number[]): Tensor {
  return broadcastTo(reshape(g, reducedShape(x.shape, axes, true)), x.shape);
}

export const broadcastRules = defineRules<'expand' | 'sum'>({
  expand: {
    forward: ([x], { shape }) => {
      if (x!.size === 1) {
        const data = allocate(sizeOf(shape)); // a broadcast scalar: one fill
        return { data: data.fill(x!.data[0]!), shape };
      }
      const strides = stridesOf(x!.shape);
      return { data: gather(x!.data, shape, x!.shape.map((d, i) => (d === 1 && shape[i] !== 1 ? 0 : strides[i]!))), shape };
    },
    vjp: (g, [x]) => {
      const axes = x!.shape.flatMap((d, i) => (d === 1 && g.shape[i] !== 1 ? [i] : []));
      return [axes.length === 0 ? g : sum(g, axes, { keepdim: true })];
    },
  },
  sum: {
    forward: ([x], { axes, keepdim }) => reduceRaw(x!, axes, keepdim, 'sum'),
    vjp: (g, [x], _, { axes }) => [unreduce(g, x!, axes)],
  },
});

/** Broadcast to a shape (numpy rules: leading axes are added, size-1 axes stretch). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  assertShape(shape.length >= x.ndim, 'broadcastTo', `cannot broadcast ${shapeStr(x.shape)} to ${shapeStr(shape)}`);
  const lifted = [...new Array<number>(shape.length - x.ndim).fill(1), ...x.shape];
  assertShape(
    lifted.every((d, i) => d === shape[i] || d === 1),
    'broadcastTo',
    `cannot broadcast ${shapeStr(x.shape)} to ${shapeStr(shape)}`,
  );
  const r = reshape(x, lifted);
  return sameShape(lifted, shape) ? r : apply(broadcastRules.expand, [r], { shape: [...shape] });
}

/** Sum over axes (all axes when omitted). */
export function sum(x: Tensor, axes?: number | readonly number[], opts: ReduceOptions = {}): Tensor {
  return apply(broadcastRules.sum, [x], { axes: normalizeAxes('sum', axes, x.ndim), keepdim: opts.keepdim ?? false });
}
