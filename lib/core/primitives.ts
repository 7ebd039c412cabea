/**
 * The primitives' types. Every differentiable op in epsx is one of these primitives or a
 * composite of them. Each primitive has one Rule: a forward on raw arrays and a vector-
 * Jacobian product (vjp) written with tensor ops, so gradients are themselves made of ops.
 * The rules live with their op families (ops/*.ts), and the table of all of them, typed so
 * that a primitive without a rule does not compile, sits above the ops in ops/rules.ts:
 * the core imports no op (docs/architecture.md, "Layers").
 */
import type { DataArray } from './precision.js';
import type { Tensor } from './tensor.js';

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
  /** The primitive this rule implements (the key it is declared under, see defineRules). */
  readonly name: P;
  forward(inputs: Tensor[], attrs: PrimitiveAttrs[P]): Raw;
  /** Gradients w.r.t. each input (null where none flows), given the output gradient. */
  vjp(grad: Tensor, inputs: Tensor[], out: Tensor, attrs: PrimitiveAttrs[P]): Array<Tensor | null>;
}

/** One rule per primitive of K, under its own name. */
export type RuleTable<K extends Primitive> = { [P in K]: Rule<P> };

/**
 * Declare a family's rules (`defineRules<'sum' | 'max'>({ sum: {...}, max: {...} })`): each
 * gets its key as its `name`, so a rule cannot be filed under another primitive's name.
 */
export function defineRules<K extends Primitive>(rules: { [P in K]: Omit<Rule<P>, 'name'> }): RuleTable<K> {
  const named: Record<string, Rule<Primitive>> = {};
  for (const [name, rule] of Object.entries<Omit<Rule<Primitive>, 'name'>>(rules)) named[name] = { name: name as Primitive, ...rule };
  return named as RuleTable<K>;
}
