/**
 * The `eps-cam` warm-up of eps++ (docs/method.md#ird-warm-up): the EPS loss on the pixels where the
 * classifier's own CAM agrees with the saliency map. The class maps of the classification loss
 * never see the saliency map, so they have not learnt its systematic errors (salient context,
 * salient distractors); leaving out the pixels where they disagree keeps the saliency term from
 * teaching those errors before the IRD takes over.
 */
import { detach, noGrad } from '../core/autograd.js';
import { compare, div, maximum, mul, relu } from '../../ops/elementwise.js';
import { pamr } from '../../ops/pamr.js';
import type { PamrOptions } from '../../ops/pamr-geom.js';
import { max, mean } from '../../ops/reduce.js';
import { reshape, slice } from '../../ops/movement.js';
import type { Tensor } from '../core/tensor.js';
import { epsSaliencyLoss, type EpsOptions } from './eps.js';
import { binarize, checkMaps } from './maps.js';

/**
 * A pixel is CAM foreground where its refined CAM foreground exceeds this: the background score
 * of the pseudo-mask rule (docs/method.md#pseudo-masks), which labels a pixel as a class where
 * that class's max-normalised map beats 0.2.
 */
export const CAM_FOREGROUND_THRESHOLD = 0.2;

/**
 * The CAM foreground [N,1,h,w] in [0,1] (no gradient): per image and present class
 * relu(Z_c) / max_p relu(Z_c) (the `cam` method's maps, normalised as the pseudo-mask rule
 * normalises them), then the max over the present classes.
 */
export function camForeground(z: Tensor, labels: Tensor): Tensor {
  const [N, C] = checkMaps('camForeground', z, labels, {});
  return noGrad(() => {
    const cam = relu(slice(detach(z), 1, 1, C + 1));
    const normalised = div(cam, maximum(max(cam, [2, 3], { keepdim: true }), 1e-5));
    return max(mul(normalised, reshape(labels, [N, C, 1, 1])), 1, { keepdim: true });
  });
}

/**
 * Where the CAM and the saliency map agree [N,1,h,w] (1 = kept, no gradient):
 * [PAMR(I, camForeground) > CAM_FOREGROUND_THRESHOLD] == B(S), the CAM's counterpart of 1 - N.
 */
export function camAgreement(z: Tensor, labels: Tensor, saliency: Tensor, image: Tensor, opts: PamrOptions = {}): Tensor {
  checkMaps('camAgreement', z, labels, { saliency: [saliency, 1], image: [image, 3] });
  return noGrad(() => compare(compare(pamr(image, camForeground(z, labels), opts), 'gt', CAM_FOREGROUND_THRESHOLD), 'eq', binarize(saliency)));
}

/** What epsCamWarmupLoss returns: the loss and the share of (valid) pixels it left out. */
export interface WarmupDetails {
  loss: Tensor;
  dropped: number;
}

/**
 * The `eps-cam` warm-up loss: epsSaliencyLoss over the pixels where camAgreement holds (and
 * `valid`, when given), both for the overlap test and the mean. EPS's overlap test still
 * explains a missing class as background; the CAM leaves out salient pixels it does not cover.
 */
export function epsCamWarmupLoss(z: Tensor, labels: Tensor, saliency: Tensor, image: Tensor, opts: EpsOptions & PamrOptions = {}): WarmupDetails {
  const agree = camAgreement(z, labels, saliency, image, opts);
  const keep = opts.valid ? mul(agree, opts.valid) : agree;
  const loss = epsSaliencyLoss(z, labels, saliency, { ...opts, valid: keep });
  const kept = mean(keep).item(), valid = opts.valid ? mean(opts.valid).item() : 1;
  return { loss, dropped: valid > 0 ? 1 - kept / valid : 0 };
}
