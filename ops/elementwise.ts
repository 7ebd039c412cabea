/**
 * Elementwise ops. Primitives work on same-shape inputs; the public functions broadcast
 * (numpy rules, numbers become scalars) with `expand` first, so broadcasting gradients are
 * reduced back by expand's own rule and no elementwise rule needs to know about it.
 */
import { apply } from '../lib/core/autograd.js';
import { defineRules, type CompareOp, type Raw } from '../lib/core/primitives.js';
import { allocate, type DataArray } from '../lib/core/precision.js';
import { assertShape, broadcastShapes, sameShape, shapeStr } from '../lib/core/shape.js';
import { Tensor, full, tensor } from '../lib/core/tensor.js';
import { broadcastTo } from './broadcast.js';

/** An operand of the binary ops: a tensor, or a number used as a scalar (shape []). */
export type TensorLike = Tensor | number;

type Loop = (out: DataArray, x: DataArray, y: DataArray | null, p: number) => void;
const loops = new Map<string, Loop>();

/**
 * One tight loop per expression of `a` (and `b`, `p`), compiled once. A shared loop calling
 * a per-op closure would make that call megamorphic and cost several ns per element; a
 * compiled loop lets V8 inline the arithmetic, as a hand-written loop per op would.
 */
function loop(expr: string): Loop {
  let f = loops.get(expr);
  if (f === undefined) {
    f = new Function('out', 'x', 'y', 'p', `for (let i = 0, n = out.length; i < n; i++) { const a = x[i]; const b = y === null ? 0 : y[i]; out[i] = ${expr}; }`) as Loop;
    loops.set(expr, f);
  }
  return f;
}

function map1(x: Tensor, expr: string, p = 0): Raw {
  const out = allocate(x.size);
  loop(expr)(out, x.data, null, p);
  return { data: out, shape: x.shape };
}

function map2(op: string, a: Tensor, b: Tensor, expr: string): Raw {
  assertShape(sameShape(a.shape, b.shape), op, `primitive needs equal shapes, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  const out = allocate(a.size);
  loop(expr)(out, a.data, b.data, 0);
  return { data: out, shape: a.shape };
}

const compareExprs: Record<CompareOp, string> = {
  gt: 'a > b ? 1 : 0',
  ge: 'a >= b ? 1 : 0',
  lt: 'a < b ? 1 : 0',
  le: 'a <= b ? 1 : 0',
  eq: 'a === b ? 1 : 0',
  ne: 'a !== b ? 1 : 0',
};

type ElementwisePrimitive =
  | 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum'
  | 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'relu' | 'sigmoid' | 'powScalar' | 'compare' | 'where';

export const elementwiseRules = defineRules<ElementwisePrimitive>({
  add: { forward: ([a, b]) => map2('add', a!, b!, 'a + b'), vjp: (g) => [g, g] },
  sub: { forward: ([a, b]) => map2('sub', a!, b!, 'a - b'), vjp: (g) => [g, neg(g)] },
  mul: { forward: ([a, b]) => map2('mul', a!, b!, 'a * b'), vjp: (g, [a, b]) => [mul(g, b!), mul(g, a!)] },
  div: {
    forward: ([a, b]) => map2('div', a!, b!, 'a / b'),
    // d(a/b)/db = -a/b^2 = -out/b
    vjp: (g, [, b], out) => [div(g, b!), neg(div(mul(g, out), b!))],
  },
  maximum: {
    forward: ([a, b]) => map2('maximum', a!, b!, 'Math.max(a, b)'),
    vjp: (g, [a, b]) => routeByMask(g, compare(a!, 'ge', b!)), // ties go to the first input
  },
  minimum: {
    forward: ([a, b]) => map2('minimum', a!, b!, 'Math.min(a, b)'),
    vjp: (g, [a, b]) => routeByMask(g, compare(a!, 'le', b!)),
  },
  neg: { forward: ([x]) => map1(x!, '-a'), vjp: (g) => [neg(g)] },
  exp: { forward: ([x]) => map1(x!, 'Math.exp(a)'), vjp: (g, _, out) => [mul(g, out)] },
  log: { forward: ([x]) => map1(x!, 'Math.log(a)'), vjp: (g, [x]) => [div(g, x!)] },
  sqrt: { forward: ([x]) => map1(x!, 'Math.sqrt(a)'), vjp: (g, _, out) => [div(g, mul(out, 2))] },
  abs: { forward: ([x]) => map1(x!, 'Math.abs(a)'), vjp: (g, [x]) => [mul(g, sub(compare(x!, 'gt', 0), compare(x!, 'lt', 0)))] },
  relu: { forward: ([x]) => map1(x!, 'a > 0 ? a : 0'), vjp: (g, [x]) => [mul(g, compare(x!, 'gt', 0))] },
  sigmoid: {
    forward: ([x]) => map1(x!, '1 / (1 + Math.exp(-a))'),
    vjp: (g, _, out) => [mul(g, mul(out, sub(1, out)))],
  },
  powScalar: {
    forward: ([x], { p }) => map1(x!, 'Math.pow(a, p)', p),
    vjp: (g, [x], _, { p }) => [mul(g, mul(pow(x!, p - 1), p))],
  },
  compare: { forward: ([a, b], { op }) => map2('compare', a!, b!, compareExprs[op]), vjp: () => [null, null] },
  where: {
    forward: ([c, a, b]) => {
      const same = sameShape(c!.shape, a!.shape) && sameShape(a!.shape, b!.shape);
      assertShape(same, 'where', `primitive needs equal shapes, got ${[c!, a!, b!].map((t) => shapeStr(t.shape)).join(', ')}`);
      return whereRaw(c!, a!, b!);
    },
    vjp: (g, [c]) => {
      const zero = full(g.shape, 0);
      return [null, where(c!, g, zero), where(c!, zero, g)];
    },
  },
});

function whereRaw(c: Tensor, a: Tensor, b: Tensor): Raw {
  const out = allocate(c.size);
  for (let i = 0; i < out.length; i++) out[i] = c.data[i] !== 0 ? a.data[i]! : b.data[i]!;
  return { data: out, shape: c.shape };
}

/** Split g between two inputs by a 0/1 mask (1 -> first input). */
function routeByMask(g: Tensor, mask: Tensor): [Tensor, Tensor] {
  return [mul(g, mask), mul(g, sub(1, mask))];
}

function asTensor(x: TensorLike): Tensor {
  return typeof x === 'number' ? tensor(x) : x;
}

/** Broadcast two operands to a common shape (numbers become scalars). */
export function broadcastPair(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const ta = asTensor(a);
  const tb = asTensor(b);
  const shape = broadcastShapes(op, ta.shape, tb.shape);
  return [broadcastTo(ta, shape), broadcastTo(tb, shape)];
}

const binary =
  (p: 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum') =>
  (a: TensorLike, b: TensorLike): Tensor =>
    apply(elementwiseRules[p], broadcastPair(p, a, b), {});

/** a + b elementwise, broadcast (numpy rules); ShapeError when the shapes cannot broadcast. */
export const add = binary('add');
/** a - b elementwise, broadcast. */
export const sub = binary('sub');
/** a * b elementwise, broadcast. */
export const mul = binary('mul');
/** a / b elementwise, broadcast (division by 0 gives Infinity/NaN, as in IEEE float). */
export const div = binary('div');
/** max(a, b) elementwise, broadcast; on ties the gradient goes to `a`. */
export const maximum = binary('maximum');
/** min(a, b) elementwise, broadcast; on ties the gradient goes to `a`. */
export const minimum = binary('minimum');

/** -x elementwise. */
export const neg = (x: Tensor): Tensor => apply(elementwiseRules.neg, [x], {});
/** e^x elementwise. */
export const exp = (x: Tensor): Tensor => apply(elementwiseRules.exp, [x], {});
/** Natural log elementwise (-Infinity at 0, NaN below). */
export const log = (x: Tensor): Tensor => apply(elementwiseRules.log, [x], {});
/** Square root elementwise (NaN below 0). */
export const sqrt = (x: Tensor): Tensor => apply(elementwiseRules.sqrt, [x], {});
/** |x| elementwise; gradient sign(x) (0 at 0). */
export const abs = (x: Tensor): Tensor => apply(elementwiseRules.abs, [x], {});
/** max(x, 0) elementwise; gradient 1 where x > 0, else 0. */
export const relu = (x: Tensor): Tensor => apply(elementwiseRules.relu, [x], {});
/** 1 / (1 + e^-x) elementwise, in (0, 1). */
export const sigmoid = (x: Tensor): Tensor => apply(elementwiseRules.sigmoid, [x], {});
/** x^p elementwise for a scalar exponent p. */
export const pow = (x: Tensor, p: number): Tensor => apply(elementwiseRules.powScalar, [x], { p });
/** x^2 elementwise. */
export const square = (x: Tensor): Tensor => pow(x, 2);

/** 1 where `a op b` holds, else 0 (no gradient). */
export function compare(a: TensorLike, op: CompareOp, b: TensorLike): Tensor {
  return apply(elementwiseRules.compare, broadcastPair(`compare(${op})`, a, b), { op });
}

/** Pick from a where cond is non-zero, else from b (all broadcast together). */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const [tc, ta] = broadcastPair('where', cond, a);
  const [tc2, tb] = broadcastPair('where', tc, b);
  return apply(elementwiseRules.where, [tc2, broadcastTo(ta, tc2.shape), tb], {});
}
