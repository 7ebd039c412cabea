/**
 * ResNet BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), with 3x3 convs.
 * The shortcut is the identity unless the block changes resolution or width, in which case
 * it is a strided 1x1 conv + BatchNorm. Dilation d keeps the resolution while widening the
 * receptive field (padding d keeps 3x3 outputs the same size), as in DeepLab backbones.
 */
import type { Rng } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { BatchNorm2d } from './batchnorm.js';
import { Conv2d } from './conv.js';
import { Module } from './module.js';
import { Sequential } from './sequential.js';

/** Stride of the first conv (default 1), dilation of both convs (default 1), and the init generator. */
export interface BasicBlockOptions {
  stride?: number;
  dilation?: number;
  rng?: Rng;
}

/**
 * ResNet basic block: [N,inChannels,H,W] -> [N,outChannels,H/stride,W/stride]; the shortcut is
 * a strided 1x1 conv + BatchNorm when stride or width change, else the identity.
 */
export class BasicBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly shortcut: Sequential | null;

  constructor(inChannels: number, outChannels: number, opts: BasicBlockOptions = {}) {
    super();
    const { stride = 1, dilation = 1, rng } = opts;
    this.conv1 = this.addModule('conv1', new Conv2d(inChannels, outChannels, 3, { stride, padding: dilation, dilation, rng }));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(outChannels));
    this.conv2 = this.addModule('conv2', new Conv2d(outChannels, outChannels, 3, { padding: dilation, dilation, rng }));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(outChannels));
    const project = stride !== 1 || inChannels !== outChannels;
    this.shortcut = project
      ? this.addModule('shortcut', new Sequential({ conv: new Conv2d(inChannels, outChannels, 1, { stride, rng }), bn: new BatchNorm2d(outChannels) }))
      : null;
  }

  forward(x: Tensor): Tensor {
    const h = this.bn1.forwardRelu(this.conv1.forward(x));
    return this.bn2.forwardAddRelu(this.conv2.forward(h), this.shortcut ? this.shortcut.forward(x) : x);
  }
}
