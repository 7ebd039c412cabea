/**
 * One training step of the EPS classifier for each method:
 *   cam:   L = L_cls
 *   eps:   L = L_cls + L_sal(EPS, overlap test per class)
 *   eps++: L = L_cls + L_sal(IRD: drop pixels where the PAMR-refined maps and saliency disagree)
 * Saliency and image are resized to the map size (bilinear, align_corners false) first.
 */
import type { Sample } from '../data/sample.js';
import { clsLoss } from '../losses/cls.js';
import { epsSaliencyLoss } from '../losses/eps.js';
import { irdSaliencyDetails, scaleDilations } from '../losses/ird.js';
import { resizeToMap } from '../losses/maps.js';
import type { SGD } from '../optim/sgd.js';
import { sgdFor, trainDefaults, type TrainConfig } from './config.js';
import type { Tensor } from '../tensor.js';
import { add } from '../../ops/elementwise.js';
import type { Classifier } from '../../models/classifier.js';
import { backboneDefaults } from '../../models/config.js';
import { DEFAULT_DILATIONS } from '../../ops/pamr-geom.js';
import { batchTensors } from './sampler.js';
import { trainOnSamples, type TrainLoopOptions, type TrainLoopResult } from './trainer.js';

/** Classifier training method: 'cam' (L_cls only), 'eps' (+ EPS saliency loss), 'eps++' (+ IRD saliency loss). */
export type Method = 'cam' | 'eps' | 'eps++';
/** Every Method, in ablation order. */
export const METHODS: readonly Method[] = ['cam', 'eps', 'eps++'];

/** Classifier training options: the shared TrainConfig plus the method and its loss hyper-parameters. */
export interface ClassifierTrainConfig extends TrainConfig {
  method: Method;
  /** EPS overlap threshold and mixing weight. */
  tau: number;
  lambda: number;
  /** PAMR inside the IRD loss, at the map resolution. */
  pamrDilations: number[];
  pamrIterations: number;
}

/**
 * Defaults: the shared TrainConfig defaults, eps++, tau 0.4, lambda 0.5, IRD PAMR dilations [1,2,3,6] x 10
 * iterations.
 *
 * The IRD's PAMR runs on the localization maps, not on the image: DESIGN's image-pixel dilations
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
};

/**
 * The loss of one batch for cfg.method: images [N,3,H,W], saliency [N,1,H,W] in [0,1], labels [N,C]
 * in {0,1}. Returns the scalar loss and its logged terms: loss_cls, loss_sal (eps, eps++) and ird_dropped
 * (eps++: share of pixels in N).
 */
export function classifierLoss(model: Classifier, images: Tensor, saliency: Tensor, labels: Tensor, cfg: ClassifierTrainConfig): { loss: Tensor; metrics: Record<string, number> } {
  const { maps, scores } = model.forward(images);
  const lossCls = clsLoss(scores, labels);
  if (cfg.method === 'cam') return { loss: lossCls, metrics: { loss_cls: lossCls.item() } };
  const size: [number, number] = [maps.shape[2]!, maps.shape[3]!];
  const sal = resizeToMap(saliency, size);
  if (cfg.method === 'eps') {
    const lossSal = epsSaliencyLoss(maps, labels, sal, { tau: cfg.tau, lambda: cfg.lambda });
    return { loss: add(lossCls, lossSal), metrics: { loss_cls: lossCls.item(), loss_sal: lossSal.item() } };
  }
  const ird = irdSaliencyDetails(maps, labels, sal, resizeToMap(images, size), { dilations: cfg.pamrDilations, iterations: cfg.pamrIterations });
  return { loss: add(lossCls, ird.loss), metrics: { loss_cls: lossCls.item(), loss_sal: ird.loss.item(), ird_dropped: ird.dropped } };
}

/** SGD with momentum and weight decay from `cfg` over the classifier's parameters (the head at its lrMult). */
export const classifierOptimizer = (model: Classifier, cfg: ClassifierTrainConfig): SGD => sgdFor(model, cfg);

/** Optional hooks of the training functions: progress, per-step records, stop polling, epoch ends, resume position. */
export type TrainHooks = Pick<TrainLoopOptions, 'progress' | 'onRecord' | 'shouldStop' | 'onEpochEnd' | 'start'>;

/**
 * Train the classifier on samples (image, saliency, image-level labels) with classifierLoss;
 * resolves with where to resume if `hooks.shouldStop` stopped it, else null. Throws NumericFault on NaN/Inf.
 */
export function trainClassifier(model: Classifier, optimizer: SGD, samples: readonly Sample[], cfg: ClassifierTrainConfig, hooks: TrainHooks = {}): Promise<TrainLoopResult> {
  const numClasses = model.config.numClasses;
  return trainOnSamples({ stage: `classifier (${cfg.method})`, model, optimizer, samples, cfg, numClasses }, hooks, (batch) => {
    const { images, saliency, labels } = batchTensors(batch, numClasses);
    return classifierLoss(model, images, saliency, labels, cfg);
  });
}
