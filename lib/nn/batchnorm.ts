/**
 * BatchNorm2d, composed from engine ops so it differentiates for free. The normalisation
 * is folded into one per-channel scale a = w / sqrt(var + eps) and shift c = b - mean * a,
 * so the full-size work is x*x (for the variance) and one broadcast multiply-add; every
 * other op runs on [1,C,1,1] tensors.
 */
import { add, maximum, mul, pow, sub } from '../../ops/elementwise.js';
import { mean } from '../../ops/reduce.js';
import { reshape } from '../../ops/shape.js';
import { assertShape, shapeStr } from '../shape.js';
import { Tensor, ones, zeros } from '../tensor.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

const AXES = [0, 2, 3];

export interface BatchStats {
  /** Per-channel batch mean and biased variance, [1,C,1,1]. */
  mean: Tensor;
  variance: Tensor;
}

/** y = x * scale + shift with per-channel [1,C,1,1] scale and shift. */
function scaleShift(x: Tensor, invStd: Tensor, mu: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor {
  const C = x.shape[1]!;
  const scale = weight ? mul(invStd, reshape(weight, [1, C, 1, 1])) : invStd;
  const shift = sub(bias ? reshape(bias, [1, C, 1, 1]) : 0, mul(mu, scale));
  return add(mul(x, scale), shift);
}

/**
 * Train-mode batch normalisation of x [N,C,H,W] with batch statistics (gradients flow
 * through them). Variance is E[x^2] - E[x]^2 (one pass; clamped at 0 against rounding).
 */
export function batchNorm2dTrain(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): { y: Tensor } & BatchStats {
  assertShape(x.ndim === 4, 'batchNorm2d', `expects [N,C,H,W], got ${shapeStr(x.shape)}`);
  const mu = mean(x, AXES, { keepdim: true });
  const variance = maximum(sub(mean(mul(x, x), AXES, { keepdim: true }), mul(mu, mu)), 0);
  return { y: scaleShift(x, pow(add(variance, eps), -0.5), mu, weight, bias), mean: mu, variance };
}

/** Eval-mode batch normalisation with fixed statistics runningMean, runningVar [C]. */
export function batchNorm2dEval(x: Tensor, weight: Tensor | null, bias: Tensor | null, runningMean: Tensor, runningVar: Tensor, eps = 1e-5): Tensor {
  assertShape(x.ndim === 4, 'batchNorm2d', `expects [N,C,H,W], got ${shapeStr(x.shape)}`);
  const C = x.shape[1]!;
  const invStd = pow(add(reshape(runningVar, [1, C, 1, 1]), eps), -0.5);
  return scaleShift(x, invStd, reshape(runningMean, [1, C, 1, 1]), weight, bias);
}

export interface BatchNorm2dOptions {
  eps?: number;
  /** Weight of the new batch in the running averages (PyTorch's default 0.1). */
  momentum?: number;
  affine?: boolean;
}

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
    assertShape(x.ndim === 4 && x.shape[1] === this.channels, 'BatchNorm2d', `expects [N,${this.channels},H,W], got ${shapeStr(x.shape)}`);
    if (!this.training) return batchNorm2dEval(x, this.weight, this.bias, this.runningMean, this.runningVar, this.eps);
    const { y, mean: mu, variance } = batchNorm2dTrain(x, this.weight, this.bias, this.eps);
    this.updateRunningStats(mu, variance, x.size / this.channels);
    return y;
  }

  /** running = (1 - m) running + m batch, with the unbiased batch variance (as PyTorch). */
  private updateRunningStats(mu: Tensor, variance: Tensor, count: number): void {
    const m = this.momentum;
    const unbias = count > 1 ? count / (count - 1) : 1;
    for (let c = 0; c < this.channels; c++) {
      this.runningMean.data[c] = (1 - m) * this.runningMean.data[c]! + m * mu.data[c]!;
      this.runningVar.data[c] = (1 - m) * this.runningVar.data[c]! + m * variance.data[c]! * unbias;
    }
  }
}
