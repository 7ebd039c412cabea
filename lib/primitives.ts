/**
 * The primitive table. Every differentiable op in epsx is one of these primitives or a
 * composite of them. Each primitive has one Rule: a forward on raw arrays and a vector-
 * Jacobian product (vjp) written with tensor ops, so gradients are themselves made of ops.
 * `RuleTable` maps every key of PrimitiveAttrs to its rule: adding a primitive without
 * a rule does not compile.
 */
import type { DataArray } from './precision.js';
import type { Tensor } from './tensor.js';
import { elementwiseRules } from '../ops/elementwise.js';
import { reduceRules } from '../ops/reduce.js';
import { shapeRules } from '../ops/shape.js';
import { matmulRules } from '../ops/matmul.js';
import { convRules } from '../ops/conv.js';
import { poolRules } from '../ops/pool.js';
import { resizeRules } from '../ops/resize.js';
import { batchNormRules } from '../ops/batchnorm.js';

/** Comparison of the `compare` primitive: greater, greater or equal, less, less or equal, equal, not equal. */
export type CompareOp = 'gt' | 'ge' | 'lt' | 'le' | 'eq' | 'ne';
/** How `pad` fills: with a constant value, or by repeating the edge values. */
export type PadMode = 'constant' | 'replicate';

/** Attributes of each primitive (the non-tensor arguments). */
export interface PrimitiveAttrs {
  // elementwise, same-shape inputs (broadcasting is done by `expand` before)
  add: {};
  sub: {};
  mul: {};
  div: {};
  maximum: {};
  minimum: {};
  neg: {};
  exp: {};
  log: {};
  sqrt: {};
  abs: {};
  relu: {};
  sigmoid: {};
  powScalar: { p: number };
  /** 1 where the comparison holds, else 0; no gradient. */
  compare: { op: CompareOp };
  /** where(cond, a, b); no gradient through cond. */
  where: {};
  // reductions
  sum: { axes: number[]; keepdim: boolean };
  max: { axes: number[]; keepdim: boolean };
  // movement
  reshape: { shape: number[] };
  permute: { perm: number[] };
  /** Stretch size-1 axes (same rank). */
  expand: { shape: number[] };
  slice: { axis: number; start: number; end: number };
  concat: { axis: number };
  pad: { pads: Array<[number, number]>; mode: PadMode; value: number };
  /** Batched [B,M,K] x [B,K,N]. */
  matmul: {};
  // image ops (ops/conv.ts, ops/pool.ts, ops/resize.ts); inputs [x, w] or [x, w, b]
  conv2d: { stride: [number, number]; padding: [number, number]; dilation: [number, number] };
  /** Global average pooling [N,C,H,W] -> [N,C]. */
  gap: {};
  maxPool2d: { kernel: number; stride: number; padding: number };
  resizeBilinear: { size: [number, number]; alignCorners: boolean };
  resizeNearest: { size: [number, number] };
  /**
   * Fused per-channel normalisation (+ residual, +ReLU) of [N,C,H,W] (ops/batchnorm.ts);
   * inputs [x, (weight, bias)?, residual?]. `stats` are x's batch statistics when `training`
   * (the vjp then differentiates through them) or fixed running statistics otherwise.
   */
  batchNorm: { stats: { mean: DataArray; invStd: DataArray }; relu: boolean; training: boolean; residual: boolean };
}

/** Name of a primitive op (a key of PrimitiveAttrs), e.g. 'add', 'conv2d', 'resizeBilinear'. */
export type Primitive = keyof PrimitiveAttrs;

/** A primitive forward's result: a flat array and its shape (a Tensor without autograd). */
export interface Raw {
  data: DataArray;
  shape: number[];
}

/** How one primitive runs: a forward on raw arrays and a vjp built from tensor ops. */
export interface Rule<P extends Primitive> {
  forward(inputs: Tensor[], attrs: PrimitiveAttrs[P]): Raw;
  /** Gradients w.r.t. each input (null where none flows), given the output gradient. */
  vjp(grad: Tensor, inputs: Tensor[], out: Tensor, attrs: PrimitiveAttrs[P]): Array<Tensor | null>;
}

export type RuleTable<K extends Primitive> = { [P in K]: Rule<P> };

let table: RuleTable<Primitive> | null = null;

/** Built on first use: op modules import autograd, which imports this module. */
export function rules(): RuleTable<Primitive> {
  return (table ??= { ...elementwiseRules, ...reduceRules, ...shapeRules, ...matmulRules, ...convRules, ...poolRules, ...resizeRules, ...batchNormRules });
}
