/**
 * One training step of the EPS classifier for each method:
 *   cam:   L = L_cls
 *   eps:   L = L_cls + L_sal(EPS, overlap test per class)
 *   eps++: L = L_cls + L_sal(IRD: drop pixels where the PAMR-refined maps and saliency disagree),
 *          after a warm-up with another saliency loss (docs/method.md#ird-warm-up)
 * Saliency and image are resized to the map size (bilinear, align_corners false) first.
 */
import type { Sample } from '../data/sample.js';
import { clsLoss } from '../losses/cls.js';
import { epsSaliencyLoss } from '../losses/eps.js';
import { irdSaliencyDetails, scaleDilations, undroppedSaliencyLoss } from '../losses/ird.js';
import { epsCamWarmupLoss } from '../losses/warmup.js';
import { resizeToMap, validAtMap, validMean } from '../losses/maps.js';
import type { SGD } from '../optim/sgd.js';
import { trainDefaults, type TrainConfig } from './config.js';
import type { Tensor } from '../core/tensor.js';
import { add } from '../../ops/elementwise.js';
import { slice } from '../../ops/movement.js';
import type { Classifier } from '../../models/classifier.js';
import { backboneDefaults } from '../../models/config.js';
import { DEFAULT_DILATIONS } from '../../ops/pamr-geom.js';
import { batchTensors } from './sampler.js';
import { trainOnSamples, type TrainLoopOptions, type TrainLoopResult } from './trainer.js';

/** Classifier training method: 'cam' (L_cls only), 'eps' (+ EPS saliency loss), 'eps++' (+ IRD saliency loss). */
export type Method = 'cam' | 'eps' | 'eps++';
/** Every Method, in ablation order. */
export const METHODS: readonly Method[] = ['cam', 'eps', 'eps++'];

/**
 * The saliency loss of eps++ before the IRD switches on: 'eps-cam' (the EPS loss on the pixels where
 * the classifier's CAM agrees with the saliency map, epsCamWarmupLoss), 'eps' (the EPS loss), 'cls'
 * (none: the classification loss alone, i.e. CAM training) or 'undropped' (the IRD loss with no
 * pixel dropped: per-image mean of (M_fg - S)^2). docs/method.md#ird-warm-up.
 */
export type WarmupLoss = 'eps-cam' | 'eps' | 'undropped' | 'cls';
/** Every WarmupLoss. */
export const WARMUP_LOSSES: readonly WarmupLoss[] = ['eps-cam', 'eps', 'undropped', 'cls'];

/** Classifier training options: the shared TrainConfig plus the method and its loss hyper-parameters. */
export interface ClassifierTrainConfig extends TrainConfig {
  method: Method;
  /** EPS overlap threshold and mixing weight. */
  tau: number;
  lambda: number;
  /** PAMR inside the IRD loss, at the map resolution. */
  pamrDilations: number[];
  pamrIterations: number;
  /**
   * eps++ only: epochs trained with `warmupLoss` before the IRD switches on (fractions allowed,
   * rounded to whole steps; 0 = IRD from the first step). From scratch the maps start near
   * 1/(C+1) everywhere, `M_r < 0.5`, and N would drop every salient pixel.
   */
  warmupEpochs: number;
  warmupLoss: WarmupLoss;
}

/**
 * Defaults: the shared TrainConfig defaults, eps++, tau 0.4, lambda 0.5, IRD PAMR dilations [1,2,3,6] x 10
 * iterations.
 *
 * The IRD's PAMR runs on the localization maps, not on the image: the default image-pixel dilations
 * [1,2,4,8,12,24] are scaled by map/image = 1/outputStride (4 by default: 64x64 images give 16x16
 * maps), which gives [1,2,3,6] (see scaleDilations). Unscaled, d = 12 and 24 reach past a 16x16 map
 * from almost every pixel and PAMR mixes in clamped border pixels. A model built with another
 * outputStride should pass scaleDilations(DEFAULT_DILATIONS, 1 / outputStride). The 10 iterations
 * are kept: scaled, the reach of 10 steps (up to 60 map pixels) still spans the whole map, as the
 * unscaled reach spans the whole image at inference.
 */
export const classifierTrainDefaults: ClassifierTrainConfig = {
  ...trainDefaults,
  method: 'eps++',
  tau: 0.4,
  lambda: 0.5,
  pamrDilations: scaleDilations(DEFAULT_DILATIONS, 1 / backboneDefaults.outputStride),
  pamrIterations: 10,
  // Without a warm-up the first IRD step drops every salient pixel (maps ~1/(C+1) everywhere).
  // Measured on the systematic default set (1000 images, 3 epochs, seed 0; pseudo-mask mIoU of the
  // first 300 train images at scale 1, bench/pseudo-errors.ts): eps 0.601, cam 0.654; eps++ after
  // 2 epochs of the EPS warm-up 0.609 (the EPS loss has already taught the salient context and
  // distractors, so N keeps them); after 2 epochs of the eps-cam warm-up 0.636 (3 epochs of it, no
  // IRD: 0.627; 2.5: 0.629); after 1 epoch of it 0.527 (two IRD epochs erode the classes the
  // saliency map usually misses). `epsx run --ablation --seeds 0,1,2`, train pseudo-masks raw, 3
  // epochs: eps 0.584 ± 0.006, eps++ 0.616 ± 0.017 (EPS warm-up, seed 0: 0.590 and 0.598); 6 epochs
  // (4 of eps-cam): eps 0.583 ± 0.004, eps++ 0.630 ± 0.025.
  // docs/method.md#ird-warm-up.
  warmupEpochs: defaultWarmupEpochs(trainDefaults.epochs),
  warmupLoss: 'eps-cam',
};

/**
 * The default warm-up of `epochs` classifier epochs: the first two thirds (the IRD for the last third).
 * Measured: 2 of 3 and 4 of 6 epochs of eps-cam work; a longer IRD phase (1 of 3) erodes the classes
 * the saliency map usually misses (docs/method.md#ird-warm-up).
 */
export function defaultWarmupEpochs(epochs: number): number {
  return (epochs * 2) / 3;
}

/** The first step of eps++ on the IRD loss: warmupEpochs x batchesPerEpoch, rounded (0: no warm-up). */
export function irdStartStep(cfg: Pick<ClassifierTrainConfig, 'warmupEpochs'>, batchesPerEpoch: number): number {
  return Math.round(cfg.warmupEpochs * batchesPerEpoch);
}

/** What the saliency term of a step is: the method's own loss, or (eps++ before irdStartStep) the warm-up loss. */
export type LossPhase = 'warmup' | 'ird';

/**
 * The loss of one batch for cfg.method: images [N,3,H,W], saliency [N,1,H,W] in [0,1], labels [N,C]
 * in `{0,1}`. Returns the scalar loss and its logged terms: loss_cls, loss_sal (eps, eps++) and ird_dropped
 * (eps++ once the IRD is on: share of pixels in N). `phase` 'warmup' gives eps++ its warm-up loss
 * L_cls + cfg.warmupLoss instead (the other methods ignore it).
 *
 * `valid` [N,1,H,W] (1 = image pixel, 0 = padding from a crop or batch) marks padding, which
 * takes no part in the class scores (GAP becomes the mean over valid map pixels) nor in the
 * saliency losses; absent, every pixel counts and the loss is exactly the method's (docs/method.md#padding-in-training-crops).
 */
export function classifierLoss(model: Classifier, images: Tensor, saliency: Tensor, labels: Tensor, cfg: ClassifierTrainConfig, phase: LossPhase = 'ird', valid?: Tensor): { loss: Tensor; metrics: Record<string, number> } {
  const out = model.forward(images);
  const { maps } = out;
  const size: [number, number] = [maps.shape[2]!, maps.shape[3]!];
  const v = valid && validAtMap(valid, size);
  const scores = v ? validMean(slice(maps, 1, 1, maps.shape[1]!), v) : out.scores;
  const lossCls = clsLoss(scores, labels);
  const warm = cfg.method === 'eps++' && phase === 'warmup';
  if (cfg.method === 'cam' || (warm && cfg.warmupLoss === 'cls')) return { loss: lossCls, metrics: { loss_cls: lossCls.item() } };
  const sal = resizeToMap(saliency, size);
  const validOpt = v && { valid: v };
  const epsOpts = { tau: cfg.tau, lambda: cfg.lambda, ...validOpt };
  const pamrOpts = { dilations: cfg.pamrDilations, iterations: cfg.pamrIterations, ...validOpt };
  if (cfg.method === 'eps' || (warm && cfg.warmupLoss === 'eps')) {
    const lossSal = epsSaliencyLoss(maps, labels, sal, epsOpts);
    return { loss: add(lossCls, lossSal), metrics: { loss_cls: lossCls.item(), loss_sal: lossSal.item() } };
  }
  if (warm && cfg.warmupLoss === 'eps-cam') {
    const warmup = epsCamWarmupLoss(maps, labels, sal, resizeToMap(images, size), { ...epsOpts, ...pamrOpts });
    return { loss: add(lossCls, warmup.loss), metrics: { loss_cls: lossCls.item(), loss_sal: warmup.loss.item(), warmup_dropped: warmup.dropped } };
  }
  if (warm) {
    const lossSal = undroppedSaliencyLoss(maps, labels, sal, v);
    return { loss: add(lossCls, lossSal), metrics: { loss_cls: lossCls.item(), loss_sal: lossSal.item() } };
  }
  const ird = irdSaliencyDetails(maps, labels, sal, resizeToMap(images, size), pamrOpts);
  return { loss: add(lossCls, ird.loss), metrics: { loss_cls: lossCls.item(), loss_sal: ird.loss.item(), ird_dropped: ird.dropped } };
}

/** Optional hooks of the training functions: progress, per-step records, stop polling, epoch ends, resume position. */
export type TrainHooks = Pick<TrainLoopOptions, 'progress' | 'onRecord' | 'shouldStop' | 'onEpochEnd' | 'start'>;

/**
 * Train the classifier on samples (image, saliency, image-level labels) with classifierLoss;
 * resolves with where to resume if `hooks.shouldStop` stopped it, else null. Throws NumericFault on NaN/Inf.
 */
export function trainClassifier(model: Classifier, optimizer: SGD, samples: readonly Sample[], cfg: ClassifierTrainConfig, hooks: TrainHooks = {}): Promise<TrainLoopResult> {
  const numClasses = model.config.numClasses;
  return trainOnSamples({ stage: `classifier (${cfg.method})`, model, optimizer, samples, cfg, numClasses }, hooks, (batch, at) => {
    const { images, saliency, labels, valid } = batchTensors(batch, numClasses);
    const start = cfg.method === 'eps++' ? irdStartStep(cfg, at.batchesPerEpoch) : 0;
    const result = classifierLoss(model, images, saliency, labels, cfg, at.step < start ? 'warmup' : 'ird', valid);
    // The step record of the first IRD step says so (the report marks it on the loss curves).
    return at.step === start && start > 0 ? { ...result, event: `IRD on after ${start} warm-up steps (${cfg.warmupLoss} loss)` } : result;
  });
}
