/** Conv2d layer: weight [K,C,k,k] (Kaiming-normal, seeded) and an optional zero-initialised bias. */
import { conv2d } from '../../ops/conv.js';
import { defaultRng, type Rng } from '../core/random.js';
import { Tensor, zeros } from '../core/tensor.js';
import { kaimingNormal, normal } from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/** Conv2d layer options: stride, padding, dilation (defaults 1, 0, 1), bias, init and lrMult. */
export interface Conv2dLayerOptions {
  stride?: number;
  padding?: number;
  dilation?: number;
  /** Default false: convolutions followed by BatchNorm need no bias. */
  bias?: boolean;
  /** Weight init: Kaiming normal (default), or normal with this std (e.g. 0.01 for output heads). */
  std?: number;
  /** Learning-rate multiplier for this layer's parameters. */
  lrMult?: number;
  rng?: Rng;
}

/**
 * 2-d convolution layer with square kernels: [N,inChannels,H,W] -> [N,outChannels,OH,OW];
 * weight [outChannels,inChannels,k,k], bias [outChannels] or none.
 */
export class Conv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly stride: number;
  readonly padding: number;
  readonly dilation: number;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, opts: Conv2dLayerOptions = {}) {
    super();
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    const rng = opts.rng ?? defaultRng();
    const shape = [outChannels, inChannels, kernelSize, kernelSize];
    const w = opts.std === undefined ? kaimingNormal(shape, rng) : normal(shape, opts.std, rng);
    const lrMult = opts.lrMult ?? 1;
    this.weight = this.addParameter('weight', Parameter.from(w, { lrMult }));
    this.bias = opts.bias ? this.addParameter('bias', Parameter.from(zeros([outChannels]), { lrMult, decay: false })) : null;
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation });
  }

  /** Multiply-accumulates per image for an output of shape [N,K,OH,OW]. */
  macsPerImage(outShape: readonly number[]): number {
    return outShape[1]! * outShape[2]! * outShape[3]! * this.inChannels * this.kernelSize * this.kernelSize;
  }
}
