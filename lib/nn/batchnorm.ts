/**
 * BatchNorm2d, composed from engine ops so it differentiates for free. The normalisation
 * is folded into a per-channel scale a = w / sqrt(var + eps) and shift c = b - mean * a,
 * so only three ops touch the full-size tensor: the sum, the sum of squares (variance
 * as E[x^2] - E[x]^2) and y = x * a + c. The sum of squares and the scaling are batched
 * matmuls over reshaped views of x ([N*C, 1, HW] x [N*C, HW, 1] and [N*C, HW, 1] x
 * [N*C, 1, 1]): one pass each, with no full-size broadcast materialised (about 30% faster,
 * forward and backward, than the same math with broadcasting mul).
 */
import { add, div, maximum, mul, pow, sub } from '../../ops/elementwise.js';
import { matmul } from '../../ops/matmul.js';
import { sum } from '../../ops/reduce.js';
import { broadcastTo, reshape } from '../../ops/shape.js';
import { assertShape, shapeStr } from '../shape.js';
import { Tensor, ones, zeros } from '../tensor.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/** Statistics of one train-mode batch, per channel. */
export interface BatchStats {
  /** Per-channel batch mean and biased variance, [1,C,1,1]. */
  mean: Tensor;
  variance: Tensor;
}

function dims(x: Tensor): [number, number, number, number] {
  assertShape(x.ndim === 4, 'batchNorm2d', `expects [N,C,H,W], got ${shapeStr(x.shape)}`);
  return x.shape as [number, number, number, number];
}

/** sum over N,H,W of x^2, as [1,C,1,1]: one dot product per [H,W] plane. */
function channelSumOfSquares(x: Tensor): Tensor {
  const [N, C, H, W] = dims(x);
  const perPlane = matmul(reshape(x, [N * C, 1, H * W]), reshape(x, [N * C, H * W, 1]));
  return sum(reshape(perPlane, [N, C, 1, 1]), 0, { keepdim: true });
}

/** y = x * scale + shift with per-channel [1,C,1,1] scale and shift. */
function scaleShift(x: Tensor, scale: Tensor, shift: Tensor): Tensor {
  const [N, C, H, W] = dims(x);
  const scaled = matmul(reshape(x, [N * C, H * W, 1]), reshape(broadcastTo(scale, [N, C, 1, 1]), [N * C, 1, 1]));
  return add(reshape(scaled, x.shape), shift);
}

/** Fold the statistics and the affine terms into per-channel scale and shift, then apply. */
function normalize(x: Tensor, mu: Tensor, variance: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  const C = x.shape[1]!;
  const invStd = pow(add(variance, eps), -0.5);
  const scale = weight ? mul(invStd, reshape(weight, [1, C, 1, 1])) : invStd;
  const shift = sub(bias ? reshape(bias, [1, C, 1, 1]) : 0, mul(mu, scale));
  return scaleShift(x, scale, shift);
}

/**
 * Train-mode batch normalisation of x [N,C,H,W] with batch statistics (gradients flow
 * through them). The one-pass variance is clamped at 0 against rounding; it loses
 * precision when |mean| >> std (about 1% of the variance at mean/std = 200 in float32).
 */
export function batchNorm2dTrain(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): { y: Tensor } & BatchStats {
  const [N, , H, W] = dims(x);
  const count = N * H * W;
  const mu = div(sum(x, [0, 2, 3], { keepdim: true }), count);
  const variance = maximum(sub(div(channelSumOfSquares(x), count), mul(mu, mu)), 0);
  return { y: normalize(x, mu, variance, weight, bias, eps), mean: mu, variance };
}

/** Eval-mode batch normalisation with fixed statistics runningMean, runningVar [C]. */
export function batchNorm2dEval(x: Tensor, weight: Tensor | null, bias: Tensor | null, runningMean: Tensor, runningVar: Tensor, eps = 1e-5): Tensor {
  const C = dims(x)[1];
  return normalize(x, reshape(runningMean, [1, C, 1, 1]), reshape(runningVar, [1, C, 1, 1]), weight, bias, eps);
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
