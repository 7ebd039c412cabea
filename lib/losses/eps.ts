/** EPS saliency loss (Lee et al., CVPR 2021), method `eps`: docs/method.md#eps-saliency-loss. */
import { noGrad } from '../core/autograd.js';
import { add, compare, div, maximum, mul, square, sub } from '../../ops/elementwise.js';
import { softmax } from '../../ops/activation.js';
import { mse } from '../../ops/loss.js';
import { sum } from '../../ops/reduce.js';
import { concat, slice } from '../../ops/movement.js';
import { ones, zeros, type Tensor } from '../core/tensor.js';
import { binarize, channelSum, checkMaps } from './maps.js';

export interface EpsOptions {
  /** Overlap above which a present class counts as foreground (F). Default 0.4. */
  tau?: number;
  /** Weight of M_fg against 1 - M_bg in S_hat. Default 0.5. */
  lambda?: number;
  /**
   * [N,1,h,w] 1 on image pixels, 0 on padding (see validAtMap): padding takes no part in the
   * overlap test or the loss, which becomes the mean over valid pixels. Default: all valid.
   */
  valid?: Tensor;
}

/** What epsSaliencyDetails returns: the loss and the maps behind it (docs/method.md#eps-saliency-loss). */
export interface EpsDetails {
  loss: Tensor;
  /** o_c [N,C] (c = 1..C), without gradient. */
  overlap: Tensor;
  /** 1 where class c is in F [N,C]; present classes not in F are in G. */
  inF: Tensor;
  mFg: Tensor;
  mBg: Tensor;
  /** The estimated saliency map [N,1,h,w]. */
  sHat: Tensor;
}

/**
 * o_c = sum_p B(P_c) B(S) / (sum_p B(P_c) + 1e-4) for c = 1..C -> [N,C]: how much of class
 * c's binarised map is salient. A selection rule, not a target: computed without gradient.
 */
export function classOverlap(P: Tensor, saliency: Tensor, valid?: Tensor): Tensor {
  return noGrad(() => {
    const classes = binarize(slice(P, 1, 1, P.shape[1]!));
    const bP = valid ? mul(classes, valid) : classes;
    const hits = sum(mul(bP, binarize(saliency)), [2, 3]);
    return div(hits, add(sum(bP, [2, 3]), 1e-4));
  });
}

/** The EPS loss with everything a learner may want to look at. */
export function epsSaliencyDetails(z: Tensor, labels: Tensor, saliency: Tensor, opts: EpsOptions = {}): EpsDetails {
  const { tau = 0.4, lambda = 0.5 } = opts;
  const { valid } = opts;
  const [N] = checkMaps('epsSaliencyLoss', z, labels, valid ? { saliency: [saliency, 1], valid: [valid, 1] } : { saliency: [saliency, 1] });
  const P = softmax(z, 1);
  const overlap = classOverlap(P, saliency, valid);
  // F = {c : y_c = 1, o_c > tau};  G = {0} ∪ {c : y_c = 1, o_c <= tau}. As 0/1 weights over
  // channels 0..C: a present class that misses the saliency map is explained as background.
  const inF = mul(labels, compare(overlap, 'gt', tau));
  const inG = sub(labels, inF);
  const mFg = channelSum(P, concat([zeros([N, 1]), inF], 1));
  const mBg = channelSum(P, concat([ones([N, 1]), inG], 1));
  const sHat = add(mul(mFg, lambda), mul(sub(1, mBg), 1 - lambda));
  const loss = valid ? div(sum(mul(valid, square(sub(sHat, saliency)))), maximum(sum(valid), 1)) : mse(sHat, saliency);
  return { loss, overlap, inF, mFg, mBg, sHat };
}

/**
 * L_sal of EPS: mean over batch and pixels of (S_hat - S)^2 with
 * S_hat = lambda M_fg + (1 - lambda)(1 - M_bg). z [N,C+1,h,w], labels [N,C], saliency [N,1,h,w].
 */
export function epsSaliencyLoss(z: Tensor, labels: Tensor, saliency: Tensor, opts: EpsOptions = {}): Tensor {
  return epsSaliencyDetails(z, labels, saliency, opts).loss;
}
