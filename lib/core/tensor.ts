/**
 * Tensor: a contiguous row-major array with a shape, plus what autograd needs
 * (requiresGrad, the node that made it, and the accumulated .grad), and `backward`, the walk
 * over the recorded nodes (here, not in ./autograd.ts, because `Tensor.backward` calls it and
 * autograd makes Tensors: one module each way would be an import cycle).
 */
import { noGrad } from './grad-mode.js';
import type { Primitive, PrimitiveAttrs, Rule } from './primitives.js';
import { allocate, toDataArray, type DataArray } from './precision.js';
import { defaultRng, type Rng } from './random.js';
import { assertShape, sameShape, shapeStr, sizeOf, type Shape } from './shape.js';

/** How a tensor was made: the primitive's rule (`rule.name` names it), its inputs and attributes (kept for backward). */
export interface Node<P extends Primitive = Primitive> {
  rule: Rule<P>;
  inputs: Tensor[];
  attrs: PrimitiveAttrs[P];
}

/**
 * An n-d array of numbers: contiguous row-major `data` (Float32Array, or Float64Array in
 * float64 mode) with a `shape`; `requiresGrad` leaves collect `.grad` on `backward()`.
 * Throws ShapeError when the data length does not fill the shape. The chainable methods
 * (`x.mul(y).relu().mean()`) are listed in {@link TensorMethods}.
 */
export class Tensor {
  readonly shape: number[];
  readonly data: DataArray;
  requiresGrad: boolean;
  /** Accumulated gradient of the last backward() (leaf tensors only). */
  grad: Tensor | null = null;
  /** The op that produced this tensor, or null for leaves and detached values. */
  readonly node: Node | null;

  constructor(data: DataArray, shape: Shape, requiresGrad = false, node: Node | null = null) {
    assertShape(
      shape.every((d) => Number.isInteger(d) && d >= 0),
      'tensor',
      `invalid shape ${shapeStr(shape)}`,
    );
    assertShape(data.length === sizeOf(shape), 'tensor', `${data.length} values do not fill shape ${shapeStr(shape)}`);
    this.data = data;
    this.shape = [...shape];
    this.requiresGrad = requiresGrad;
    this.node = node;
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Reverse-mode autodiff from this tensor. Scalars need no upstream gradient. */
  backward(upstream?: Tensor): void {
    backward(this, upstream);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    assertShape(this.size === 1, 'item', `expected one element, got shape ${shapeStr(this.shape)}`);
    return this.data[0]!;
  }

  toArray(): number[] {
    return Array.from(this.data);
  }

  toString(): string {
    const head = Array.from(this.data.subarray(0, 8), (v) => v.toPrecision(4)).join(', ');
    return `Tensor(${shapeStr(this.shape)}, [${head}${this.size > 8 ? ', ...' : ''}]${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

/** Options for tensor constructors: `requiresGrad` (default false) makes a leaf that collects `.grad`. */
export interface TensorOptions {
  requiresGrad?: boolean;
}

/** Make a tensor from values (copied into the current precision) and a shape (default: 1-d). */
export function tensor(data: ArrayLike<number> | number, shape?: Shape, opts: TensorOptions = {}): Tensor {
  const values = typeof data === 'number' ? [data] : data;
  const s = shape ?? (typeof data === 'number' ? [] : [values.length]);
  return new Tensor(toDataArray(values), s, opts.requiresGrad ?? false);
}

/** A tensor of `shape` with every element `value`, in the current precision. */
export function full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
  const d = allocate(sizeOf(shape));
  if (value !== 0) d.fill(value);
  return new Tensor(d, shape, opts.requiresGrad ?? false);
}

/** A tensor of `shape` filled with 0. */
export const zeros = (shape: Shape, opts?: TensorOptions): Tensor => full(shape, 0, opts);
/** A tensor of `shape` filled with 1. */
export const ones = (shape: Shape, opts?: TensorOptions): Tensor => full(shape, 1, opts);

/** [start, start+step, ...) below stop, as a 1-d tensor. */
export function arange(start: number, stop?: number, step = 1): Tensor {
  const [lo, hi] = stop === undefined ? [0, start] : [start, stop];
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const d = allocate(n);
  for (let i = 0; i < n; i++) d[i] = lo + i * step;
  return new Tensor(d, [n]);
}

/** Options for rand/randn: `rng` is the seeded generator to draw from (default: the global one, see manualSeed). */
export interface RandomOptions extends TensorOptions {
  rng?: Rng;
}

/** Uniform [0,1) values from a seeded generator (the default one unless given). */
export function rand(shape: Shape, opts: RandomOptions = {}): Tensor {
  const rng = opts.rng ?? defaultRng();
  const d = allocate(sizeOf(shape));
  for (let i = 0; i < d.length; i++) d[i] = rng.next();
  return new Tensor(d, shape, opts.requiresGrad ?? false);
}

/** Standard normal values from a seeded generator. */
export function randn(shape: Shape, opts: RandomOptions = {}): Tensor {
  const rng = opts.rng ?? defaultRng();
  const d = allocate(sizeOf(shape));
  for (let i = 0; i < d.length; i++) d[i] = rng.normal();
  return new Tensor(d, shape, opts.requiresGrad ?? false);
}

/** Tensors reachable from root through recorded nodes, inputs before consumers. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>([root]);
  // Iterative DFS: deep graphs (long training steps) must not overflow the call stack.
  const stack: Array<[Tensor, number]> = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const child = inputs[i]!;
      if (child.requiresGrad && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order;
}

/**
 * Reverse-mode autodiff from `root`: adds d(root)/d(leaf) into `.grad` of every reachable
 * leaf with requiresGrad. `upstream` (same shape as root) is required unless root has one element.
 * Throws when root does not require grad or the upstream shape does not match.
 */
export function backward(root: Tensor, upstream?: Tensor): void {
  if (!root.requiresGrad) throw new Error('backward: tensor does not require grad (no input had requiresGrad, or it was made under noGrad)');
  if (upstream === undefined && root.size !== 1) {
    throw new Error(`backward: output has shape ${shapeStr(root.shape)}; pass an upstream gradient for non-scalar outputs`);
  }
  const seed = upstream ?? ones(root.shape);
  if (!sameShape(seed.shape, root.shape)) {
    throw new Error(`backward: upstream gradient ${shapeStr(seed.shape)} does not match output ${shapeStr(root.shape)}`);
  }
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  const order = topologicalOrder(root);
  noGrad(() => {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k]!;
      const g = grads.get(t);
      if (g === undefined) continue;
      grads.delete(t); // free intermediate gradients as soon as they are consumed
      if (t.node === null) {
        t.grad = t.grad === null ? g : accumulate(t.grad, g);
        continue;
      }
      const { rule, inputs, attrs } = t.node;
      const inputGrads = rule.vjp(g, inputs, t, attrs);
      inputs.forEach((x, i) => {
        const gi = inputGrads[i];
        if (!x.requiresGrad || gi == null) return;
        const prev = grads.get(x);
        grads.set(x, prev === undefined ? gi : accumulate(prev, gi));
      });
    }
  });
}

/** a + b into a fresh tensor (gradients are never mutated in place: they may be shared). */
function accumulate(a: Tensor, b: Tensor): Tensor {
  const out = new (a.data.constructor as Float32ArrayConstructor)(a.size);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i]! + b.data[i]!;
  return new Tensor(out, a.shape);
}
