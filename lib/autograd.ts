/**
 * Reverse-mode autodiff. Every differentiable op goes through `apply`, which runs the
 * primitive's forward rule and, when gradients are wanted, records a Node. `backward`
 * walks the recorded graph in reverse topological order and accumulates gradients,
 * so shared sub-graphs (diamonds) receive the sum of their consumers' gradients.
 */
import { rules, type Primitive, type PrimitiveAttrs } from './primitives.js';
import { shapeStr, sameShape } from './shape.js';
import { Tensor, ones } from './tensor.js';

let gradEnabled = true;

/** False inside noGrad(): ops then record no graph. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run `fn` without recording anything for autograd. */
export function noGrad<T>(fn: () => T): T {
  const saved = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = saved;
  }
}

/** The same values, cut from the graph (shares the data; treat it as read-only). */
export function detach(t: Tensor): Tensor {
  return new Tensor(t.data, t.shape, false, null);
}

/** Run a primitive: forward now, and remember how to go backward if any input needs it. */
export function apply<P extends Primitive>(primitive: P, inputs: Tensor[], attrs: PrimitiveAttrs[P]): Tensor {
  const rule = rules()[primitive];
  const out = rule.forward(inputs, attrs);
  const track = gradEnabled && inputs.some((t) => t.requiresGrad);
  return new Tensor(out.data, out.shape, track, track ? { primitive, inputs, attrs } : null);
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
      const { primitive, inputs, attrs } = t.node;
      const rule = rules()[primitive] as { vjp: (g: Tensor, xs: Tensor[], y: Tensor, a: typeof attrs) => (Tensor | null)[] };
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
