/** Generic losses, composed from primitives. (The EPS/EPS++ losses live in lib/losses.) */
import { UserError } from '../lib/core/errors.js';
import { allocate } from '../lib/core/precision.js';
import { assertShape, sameShape, shapeStr, sizeOf } from '../lib/core/shape.js';
import { Tensor } from '../lib/core/tensor.js';
import { softplus, logSoftmax } from './activation.js';
import { div, mul, neg, square, sub } from './elementwise.js';
import { mean, sum } from './reduce.js';

/** How a loss reduces its elementwise values: 'mean' (a scalar), 'sum' (a scalar) or 'none' (same shape as the input). */
export type Reduction = 'mean' | 'sum' | 'none';

function reduce(x: Tensor, reduction: Reduction): Tensor {
  return reduction === 'none' ? x : reduction === 'sum' ? sum(x) : mean(x);
}

/** Binary cross-entropy on logits: softplus(z) - z*y, elementwise. */
export function bceWithLogits(logits: Tensor, targets: Tensor, reduction: Reduction = 'mean'): Tensor {
  assertShape(sameShape(logits.shape, targets.shape), 'bceWithLogits', `logits ${shapeStr(logits.shape)} vs targets ${shapeStr(targets.shape)}`);
  return reduce(sub(softplus(logits), mul(logits, targets)), reduction);
}

/** Mean squared error. */
export function mse(a: Tensor, b: Tensor, reduction: Reduction = 'mean'): Tensor {
  assertShape(sameShape(a.shape, b.shape), 'mse', `shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} differ`);
  return reduce(square(sub(a, b)), reduction);
}

/** Options of crossEntropy: the label whose pixels are ignored (default 255). */
export interface CrossEntropyOptions {
  ignoreIndex?: number;
}

/**
 * Cross-entropy over the channel axis of logits [N,C,...] against integer labels [N,...].
 * Pixels labelled ignoreIndex (default 255) give neither loss nor gradient; the mean is
 * over the remaining pixels (0 when there are none).
 */
export function crossEntropy(logits: Tensor, labels: ArrayLike<number>, opts: CrossEntropyOptions = {}): Tensor {
  const ignore = opts.ignoreIndex ?? 255;
  const [N, C] = logits.shape as [number, number];
  const spatial = sizeOf(logits.shape.slice(2));
  assertShape(logits.ndim >= 2 && labels.length === N * spatial, 'crossEntropy', `logits ${shapeStr(logits.shape)} need ${N * spatial} labels, got ${labels.length}`);
  const oneHot = allocate(logits.size);
  let count = 0;
  for (let n = 0; n < N; n++)
    for (let p = 0; p < spatial; p++) {
      const c = labels[n * spatial + p]!;
      if (c === ignore) continue;
      if (!Number.isInteger(c) || c < 0 || c >= C) throw new UserError(`crossEntropy: label ${c} outside 0..${C - 1} and not the ignore index ${ignore}`);
      oneHot[(n * C + c) * spatial + p] = 1;
      count++;
    }
  const picked = sum(mul(logSoftmax(logits, 1), new Tensor(oneHot, logits.shape)));
  return div(neg(picked), Math.max(1, count));
}
