/** Classification loss (all methods): multilabel soft margin on the GAP class scores. */
import { bceWithLogits } from '../../ops/loss.js';
import { assertShape, sameShape, shapeStr } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';

/**
 * L_cls = mean over batch and classes of BCEWithLogits(s_c, y_c), where scores s [N,C] are
 * `s_c = mean_{h,w} Z_c` (c = 1..C: the background map gets no class score) and labels y [N,C].
 */
export function clsLoss(scores: Tensor, labels: Tensor): Tensor {
  assertShape(scores.ndim === 2 && sameShape(scores.shape, labels.shape), 'clsLoss', `expects scores and labels [N,C], got ${shapeStr(scores.shape)} and ${shapeStr(labels.shape)}`);
  return bceWithLogits(scores, labels, 'mean');
}
