/**
 * DeepLab-v2-style segmenter: the classifier's backbone + a context head of parallel
 * dilated 3x3 convolutions (ASPP), each predicting C+1 class logits, summed, then
 * upsampled bilinearly (align_corners false) to the input size.
 */
import { add } from '../ops/elementwise.js';
import { resizeBilinear } from '../ops/resize.js';
import { Conv2d } from '../lib/nn/conv.js';
import { Module } from '../lib/nn/module.js';
import { summarize, type ModelSummary } from '../lib/nn/summary.js';
import { Rng } from '../lib/core/random.js';
import { assertShape, shapeStr } from '../lib/core/shape.js';
import type { Tensor } from '../lib/core/tensor.js';
import { Backbone } from './backbone.js';
import { backboneDefaults, commonRules, validateConfig, type CommonConfig } from './config.js';

/** The segmenter's constructor config, as stored in its checkpoint (kind 'segmenter'). */
export interface SegmenterConfig extends CommonConfig {
  kind: 'segmenter';
  /** Dilation rates of the parallel branches (at feature resolution). */
  rates: number[];
}

/**
 * A complete, validated SegmenterConfig: defaults width 16, outputStride 4, seed 0, headLrMult 1,
 * rates [1,2,4,6].
 *
 * headLrMult is 1, not EPS's 10: a head update moves the logits by about lr x fan-in x feature^2
 * (ReLU features are all positive, so their gradients add up), and the context head sums 4
 * branches of 3x3 x 4w inputs (2304 at w 16; the classifier's 1x1 head has 64). At 10x the
 * fully supervised loss went from 1.9 to 67 within three steps on the real-photograph set and
 * the segmenter ended predicting background only (val mIoU 0.115 after 76 steps, 0.216 at 1x). Throws a UserError naming `source` for an unknown field or an invalid value.
 */
export function segmenterConfig(input: Partial<SegmenterConfig> & { numClasses: number }, source = 'segmenter config'): SegmenterConfig {
  const defaults = { ...backboneDefaults, numClasses: input.numClasses, seed: 0, headLrMult: 1, rates: [1, 2, 4, 6] };
  const rates = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((r) => Number.isInteger(r) && r >= 1);
  return validateConfig<SegmenterConfig>(source, input, defaults, { ...commonRules, rates: [rates, 'a non-empty list of integers >= 1'] }, 'segmenter');
}

/** Atrous spatial pyramid pooling, DeepLab-v2 flavour: sum of dilated 3x3 classifiers. */
export class ContextHead extends Module {
  readonly branches: Conv2d[];

  constructor(inChannels: number, outChannels: number, rates: readonly number[], opts: { lrMult: number; rng: Rng }) {
    super();
    // DeepLab initialises its classifier branches with N(0, 0.01^2) weights and zero bias.
    this.branches = rates.map((r) =>
      this.addModule(`rate${r}`, new Conv2d(inChannels, outChannels, 3, { padding: r, dilation: r, bias: true, std: 0.01, ...opts })),
    );
  }

  forward(x: Tensor): Tensor {
    return this.branches.map((b) => b.forward(x)).reduce((a, b) => add(a, b));
  }
}

/**
 * DeepLab-v2-style segmenter: images [N,3,H,W] -> class logits [N,C+1,H,W] (backbone, ASPP
 * context head, bilinear upsampling to the input size). Weights are seeded by config.seed.
 */
export class Segmenter extends Module {
  readonly config: SegmenterConfig;
  readonly backbone: Backbone;
  readonly head: ContextHead;

  constructor(config: Partial<SegmenterConfig> & { numClasses: number }) {
    super();
    this.config = segmenterConfig(config);
    const rng = new Rng(this.config.seed);
    this.backbone = this.addModule('backbone', new Backbone(this.config, rng));
    this.head = this.addModule('head', new ContextHead(this.backbone.outChannels, this.config.numClasses + 1, this.config.rates, { lrMult: this.config.headLrMult, rng }));
  }

  /** Class logits [N,C+1,H,W] at the input resolution. */
  forward(x: Tensor): Tensor {
    assertShape(x.ndim === 4 && x.shape[1] === 3, 'Segmenter', `expects images [N,3,H,W], got ${shapeStr(x.shape)}`);
    return resizeBilinear(this.head.forward(this.backbone.forward(x)), [x.shape[2]!, x.shape[3]!], { alignCorners: false });
  }

  describe(inputShape: readonly number[] = [1, 3, 64, 64]): ModelSummary {
    return summarize(this, inputShape);
  }
}
