/**
 * Building blocks shared by the saliency losses (docs/method.md#label-conventions): the binariser B,
 * label-weighted channel sums (how M_fg, M_bg and M_r are formed) and the resize that
 * brings saliency and image to the map size before they meet Z.
 */
import { noGrad } from '../core/autograd.js';
import { compare, div, maximum, mul } from '../../ops/elementwise.js';
import { sum } from '../../ops/reduce.js';
import { resizeBilinear } from '../../ops/resize.js';
import { reshape } from '../../ops/movement.js';
import { assertShape, shapeStr } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';

/** B(x) = 1 where x > 0.5, else 0 (no gradient). */
export const binarize = (x: Tensor): Tensor => compare(x, 'gt', 0.5);

/**
 * sum_k w[n,k] maps[n,k] over the channel axis: [N,K,h,w] with weights [N,K] -> [N,1,h,w].
 * With 0/1 weights this is the sum over a set of channels (F, G, or the present classes).
 */
export function channelSum(maps: Tensor, weights: Tensor): Tensor {
  const [N, K] = maps.shape as [number, number];
  return sum(mul(maps, reshape(weights, [N, K, 1, 1])), 1, { keepdim: true });
}

/**
 * Bilinear resize (align_corners = false) of x [N,K,H,W] to [h,w]: how saliency and image
 * are brought to the size of Z, and how maps are brought back to the image size.
 * A no-op when x already has that size.
 */
export function resizeToMap(x: Tensor, [h, w]: readonly [number, number]): Tensor {
  return x.shape[2] === h && x.shape[3] === w ? x : resizeBilinear(x, [h, w], { alignCorners: false });
}

/**
 * Valid-pixel weights at the map size: valid [N,1,H,W] (1 = image pixel, 0 = padding from a
 * crop or a batch) resized like the saliency, then B(.): a map pixel counts when its sample
 * point lies in the image. No gradient.
 */
export function validAtMap(valid: Tensor, size: readonly [number, number]): Tensor {
  return noGrad(() => binarize(resizeToMap(valid, size)));
}

/** Mean over the valid pixels: sum_p v_p x_p / max(1, sum_p v_p) per image and channel, x [N,K,h,w], v [N,1,h,w] -> [N,K]. */
export function validMean(x: Tensor, valid: Tensor): Tensor {
  return div(sum(mul(x, valid), [2, 3]), maximum(sum(valid, [2, 3]), 1));
}

/** Check z [N,C+1,h,w], labels [N,C] and each extra map [N,k,h,w]; returns N, C, h, w. */
export function checkMaps(op: string, z: Tensor, labels: Tensor, maps: Record<string, [Tensor, number]>): [number, number, number, number] {
  assertShape(z.ndim === 4 && z.shape[1]! >= 2, op, `expects z [N,C+1,h,w] with C >= 1, got ${shapeStr(z.shape)}`);
  const [N, C1, h, w] = z.shape as [number, number, number, number];
  const C = C1 - 1;
  assertShape(labels.ndim === 2 && labels.shape[0] === N && labels.shape[1] === C, op, `labels must be [${N},${C}] for z ${shapeStr(z.shape)}, got ${shapeStr(labels.shape)}`);
  for (const [name, [t, k]] of Object.entries(maps)) {
    const want = [N, k, h, w];
    const ok = t.ndim === 4 && t.shape.every((d, i) => d === want[i]);
    assertShape(ok, op, `${name} must be ${shapeStr(want)} (resize it to the map size with resizeToMap), got ${shapeStr(t.shape)}`);
  }
  return [N, C, h, w];
}
