/**
 * The EPS classifier: backbone + bias-free 1x1 head giving C+1 localization maps Z
 * (channel 0 = background, channel c = class c). Class scores are GAP of maps 1..C, so the
 * classification loss trains the maps directly (CAM-style) and the saliency loss can
 * supervise every map pixel by pixel.
 */
import { Conv2d } from '../lib/nn/conv.js';
import { Module } from '../lib/nn/module.js';
import { summarize, type ModelSummary } from '../lib/nn/summary.js';
import { Rng } from '../lib/core/random.js';
import { assertShape, shapeStr } from '../lib/core/shape.js';
import type { Tensor } from '../lib/core/tensor.js';
import { gap } from '../ops/pool.js';
import { slice } from '../ops/movement.js';
import { Backbone } from './backbone.js';
import { backboneDefaults, commonRules, validateConfig, type CommonConfig } from './config.js';

/** The classifier's constructor config, as stored in its checkpoint (kind 'classifier'). */
export interface ClassifierConfig extends CommonConfig {
  kind: 'classifier';
}

/** What Classifier.forward returns: the localization maps and the class scores. */
export interface ClassifierOutput {
  /** Localization logits Z [N,C+1,h,w]. */
  maps: Tensor;
  /** Class scores `s_c = mean_{h,w} Z_c`, c = 1..C: [N,C]. */
  scores: Tensor;
}

/**
 * A complete, validated ClassifierConfig: defaults width 16, outputStride 4, seed 0, headLrMult 10.
 * Throws a UserError naming `source` for an unknown field or an invalid value.
 */
export function classifierConfig(input: Partial<ClassifierConfig> & { numClasses: number }, source = 'classifier config'): ClassifierConfig {
  const defaults = { ...backboneDefaults, numClasses: input.numClasses, seed: 0, headLrMult: 10 };
  return validateConfig<ClassifierConfig>(source, input, defaults, commonRules, 'classifier');
}

/**
 * The EPS classifier: images [N,3,H,W] -> maps Z [N,C+1,H/os,W/os] (backbone + bias-free 1x1 head)
 * and scores [N,C] (GAP of maps 1..C). Weights are seeded by config.seed; the head trains at headLrMult.
 */
export class Classifier extends Module<ClassifierOutput> {
  readonly config: ClassifierConfig;
  readonly backbone: Backbone;
  readonly head: Conv2d;

  constructor(config: Partial<ClassifierConfig> & { numClasses: number }) {
    super();
    this.config = classifierConfig(config);
    const rng = new Rng(this.config.seed);
    this.backbone = this.addModule('backbone', new Backbone(this.config, rng));
    this.head = this.addModule('head', new Conv2d(this.backbone.outChannels, this.config.numClasses + 1, 1, { lrMult: this.config.headLrMult, rng }));
  }

  forward(x: Tensor): ClassifierOutput {
    assertShape(x.ndim === 4 && x.shape[1] === 3, 'Classifier', `expects images [N,3,H,W], got ${shapeStr(x.shape)}`);
    const maps = this.head.forward(this.backbone.forward(x));
    return { maps, scores: gap(slice(maps, 1, 1, this.config.numClasses + 1)) };
  }

  /** Layer table (name, output shape, parameters, cost) for an input shape. */
  describe(inputShape: readonly number[] = [1, 3, 64, 64]): ModelSummary {
    return summarize(this, inputShape);
  }
}
