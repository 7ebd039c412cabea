/**
 * Chainable methods on Tensor (`x.mul(y).relu().mean().backward()`), each the functional op
 * with the tensor as its first argument. The engine core must not import the ops (the ops
 * import it), so lib/core/tensor.ts stays unaware of them: this file adds the method types to the
 * Tensor class by declaration merging and the implementations to its prototype. The package
 * root imports this file, so every consumer of `epsx` has the methods; code inside the
 * engine (ops, nn, models, losses) calls the functions, which work without this file loaded.
 * See docs/architecture.md#the-chainable-tensor.
 */
import { detach } from './core/autograd.js';
import { Tensor } from './core/tensor.js';
import { softmax, logSoftmax, tanh } from '../ops/activation.js';
import { conv2d, type Conv2dOptions } from '../ops/conv.js';
import { abs, add, div, exp, log, maximum, minimum, mul, neg, pow, relu, sigmoid, sqrt, square, sub, type TensorLike } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { max, mean, sum, type ReduceOptions } from '../ops/reduce.js';
import { flatten, permute, reshape, squeeze, transpose, unsqueeze } from '../ops/movement.js';

/**
 * The chainable methods of {@link Tensor}. Each `x.op(...args)` is exactly `op(x, ...args)` of
 * the functional API (same result, same gradients), so the two styles mix freely.
 */
export interface TensorMethods {
  /** `this + b` elementwise, broadcast (numpy rules); see {@link add}. */
  add(b: TensorLike): Tensor;
  /** `this - b` elementwise, broadcast; see {@link sub}. */
  sub(b: TensorLike): Tensor;
  /** `this * b` elementwise, broadcast; see {@link mul}. */
  mul(b: TensorLike): Tensor;
  /** `this / b` elementwise, broadcast; see {@link div}. */
  div(b: TensorLike): Tensor;
  /** `this ^ p` elementwise for a scalar exponent; see {@link pow}. */
  pow(p: number): Tensor;
  /** `max(this, b)` elementwise, broadcast; see {@link maximum}. */
  maximum(b: TensorLike): Tensor;
  /** `min(this, b)` elementwise, broadcast; see {@link minimum}. */
  minimum(b: TensorLike): Tensor;
  /** `-this` elementwise; see {@link neg}. */
  neg(): Tensor;
  /** `e^this` elementwise; see {@link exp}. */
  exp(): Tensor;
  /** Natural log elementwise; see {@link log}. */
  log(): Tensor;
  /** Square root elementwise; see {@link sqrt}. */
  sqrt(): Tensor;
  /** `|this|` elementwise; see {@link abs}. */
  abs(): Tensor;
  /** `this^2` elementwise; see {@link square}. */
  square(): Tensor;
  /** `max(this, 0)` elementwise; see {@link relu}. */
  relu(): Tensor;
  /** `1 / (1 + e^-this)` elementwise; see {@link sigmoid}. */
  sigmoid(): Tensor;
  /** Hyperbolic tangent elementwise; see {@link tanh}. */
  tanh(): Tensor;
  /** Sum over `axes` (all when omitted); `keepdim` keeps them as size 1; see {@link sum}. */
  sum(axes?: number | readonly number[], opts?: ReduceOptions): Tensor;
  /** Mean over `axes` (all when omitted); see {@link mean}. */
  mean(axes?: number | readonly number[], opts?: ReduceOptions): Tensor;
  /** Max over `axes` (all when omitted); ties share the gradient; see {@link max}. */
  max(axes?: number | readonly number[], opts?: ReduceOptions): Tensor;
  /** The same values in another shape (one axis may be -1); see {@link reshape}. */
  reshape(shape: readonly number[]): Tensor;
  /** Reorder axes: output axis i is input axis `perm[i]`; see {@link permute}. */
  permute(perm: readonly number[]): Tensor;
  /** Swap axes `a` and `b` (default the last two); see {@link transpose}. */
  transpose(a?: number, b?: number): Tensor;
  /** Merge the axes from `startAxis` (default 1) on into one; see {@link flatten}. */
  flatten(startAxis?: number): Tensor;
  /** Insert a size-1 axis at `axis`; see {@link unsqueeze}. */
  unsqueeze(axis: number): Tensor;
  /** Remove the size-1 axis `axis`; see {@link squeeze}. */
  squeeze(axis: number): Tensor;
  /** `this[..., M, K] @ b[..., K, N]` with broadcast batch axes; see {@link matmul}. */
  matmul(b: Tensor): Tensor;
  /** exp normalised to sum 1 along `axis`; see {@link softmax}. */
  softmax(axis: number): Tensor;
  /** log of softmax along `axis`, computed stably; see {@link logSoftmax}. */
  logSoftmax(axis: number): Tensor;
  /** 2-d convolution of this [N,C,H,W] with `w` [K,C,kh,kw] and an optional bias [K]; see {@link conv2d}. */
  conv2d(w: Tensor, b?: Tensor | null, opts?: Conv2dOptions): Tensor;
  /** The same values cut from the autograd graph; see {@link detach}. */
  detach(): Tensor;
}

declare module './core/tensor.js' {
  interface Tensor extends TensorMethods {}
}

/**
 * The implementations, as functions of the receiver. The mapped type makes the compiler check
 * each entry against its declared method, so a signature drift in either place fails to build.
 */
const implementations: { [K in keyof TensorMethods]: (self: Tensor, ...args: Parameters<TensorMethods[K]>) => Tensor } = {
  add, sub, mul, div, pow, maximum, minimum,
  neg, exp, log, sqrt, abs, square, relu, sigmoid, tanh,
  sum, mean, max,
  reshape, permute, transpose, flatten, unsqueeze, squeeze,
  matmul, softmax, logSoftmax,
  conv2d: (self, w, b = null, opts) => conv2d(self, w, b, opts),
  detach,
};

for (const [name, fn] of Object.entries(implementations) as Array<[string, (self: Tensor, ...args: unknown[]) => Tensor]>) {
  // Non-enumerable like class methods, so tensors print and spread as before.
  Object.defineProperty(Tensor.prototype, name, {
    value: function (this: Tensor, ...args: unknown[]): Tensor {
      return fn(this, ...args);
    },
    writable: true,
    configurable: true,
  });
}

/** Names of the chainable methods, for documentation and tests. */
export const tensorMethodNames = Object.keys(implementations) as Array<keyof TensorMethods>;
