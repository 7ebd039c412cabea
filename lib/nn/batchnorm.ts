/**
 * BatchNorm2d on the fused batchNorm primitive (ops/batchnorm.ts): one reduction pass for
 * the statistics and one elementwise pass forward, two reductions and one elementwise pass
 * backward, with an optional fused ReLU (the layer's `forwardRelu`).
 */
import { batchNormEval, batchNormTrain } from '../../ops/batchnorm.js';
import { add, relu } from '../../ops/elementwise.js';
import { assertShape, shapeStr } from '../core/shape.js';
import { Tensor, ones, zeros } from '../core/tensor.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/** Statistics of one train-mode batch, per channel (values only: no gradient flows through them). */
export interface BatchStats {
  /** Per-channel batch mean and biased variance, [1,C,1,1]. */
  mean: Tensor;
  variance: Tensor;
}

function channels(x: Tensor): number {
  assertShape(x.ndim === 4, 'batchNorm2d', `expects [N,C,H,W], got ${shapeStr(x.shape)}`);
  return x.shape[1]!;
}

/**
 * Train-mode batch normalisation of x [N,C,H,W] with batch statistics (gradients flow
 * through them); `relu` applies max(0, y) in the same pass.
 */
export function batchNorm2dTrain(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5, relu = false): { y: Tensor } & BatchStats {
  const C = channels(x);
  const { y, mean, variance } = batchNormTrain(x, weight, bias, { eps, relu });
  return { y, mean: new Tensor(mean, [1, C, 1, 1]), variance: new Tensor(variance, [1, C, 1, 1]) };
}

/** Eval-mode batch normalisation with fixed statistics runningMean, runningVar [C]. */
export function batchNorm2dEval(x: Tensor, weight: Tensor | null, bias: Tensor | null, runningMean: Tensor, runningVar: Tensor, eps = 1e-5, relu = false): Tensor {
  channels(x);
  return batchNormEval(x, weight, bias, runningMean.data, runningVar.data, { eps, relu });
}

/** BatchNorm2d options: eps (default 1e-5), momentum (0.1) and affine weight/bias (default true). */
export interface BatchNorm2dOptions {
  eps?: number;
  /** Weight of the new batch in the running averages (PyTorch's default 0.1). */
  momentum?: number;
  affine?: boolean;
}

/**
 * Batch normalisation of [N,C,H,W] per channel: batch statistics in training (updating the
 * running_mean/running_var buffers, unbiased variance), running statistics in eval mode.
 */
export class BatchNorm2d extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly eps: number;
  readonly momentum: number;

  constructor(readonly channels: number, opts: BatchNorm2dOptions = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    const affine = opts.affine ?? true;
    this.weight = affine ? this.addParameter('weight', Parameter.from(ones([channels]), { decay: false })) : null;
    this.bias = affine ? this.addParameter('bias', Parameter.from(zeros([channels]), { decay: false })) : null;
    this.runningMean = this.addBuffer('running_mean', zeros([channels]));
    this.runningVar = this.addBuffer('running_var', ones([channels]));
  }

  forward(x: Tensor): Tensor {
    return this.normalize(x, false);
  }

  /** relu(forward(x)) in one pass (and one backward pass); unfused while forward is hooked. */
  forwardRelu(x: Tensor): Tensor {
    return this.hasForwardHook() ? relu(this.forward(x)) : this.normalize(x, true);
  }

  /** relu(forward(x) + residual) (a ResNet block's end) in one pass, as forwardRelu. */
  forwardAddRelu(x: Tensor, residual: Tensor): Tensor {
    return this.hasForwardHook() ? relu(add(this.forward(x), residual)) : this.normalize(x, true, residual);
  }

  private normalize(x: Tensor, relu: boolean, residual?: Tensor): Tensor {
    assertShape(x.ndim === 4 && x.shape[1] === this.channels, 'BatchNorm2d', `expects [N,${this.channels},H,W], got ${shapeStr(x.shape)}`);
    const opts = { eps: this.eps, relu, ...(residual ? { residual } : {}) };
    if (!this.training) return batchNormEval(x, this.weight, this.bias, this.runningMean.data, this.runningVar.data, opts);
    const { y, mean, variance } = batchNormTrain(x, this.weight, this.bias, opts);
    this.updateRunningStats(mean, variance, x.size / this.channels);
    return y;
  }

  /** running = (1 - m) running + m batch, with the unbiased batch variance (as PyTorch). */
  private updateRunningStats(mu: ArrayLike<number>, variance: ArrayLike<number>, count: number): void {
    const m = this.momentum;
    const unbias = count > 1 ? count / (count - 1) : 1;
    for (let c = 0; c < this.channels; c++) {
      this.runningMean.data[c] = (1 - m) * this.runningMean.data[c]! + m * mu[c]!;
      this.runningVar.data[c] = (1 - m) * this.runningVar.data[c]! + m * variance[c]! * unbias;
    }
  }
}
