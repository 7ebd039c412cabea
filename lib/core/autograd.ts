/**
 * Reverse-mode autodiff, the recording half. Every differentiable op goes through `apply`,
 * which runs the primitive's forward rule and, when gradients are wanted, records a Node
 * holding the rule. The walk back (`backward`, in ./tensor.ts, where `Tensor.backward` needs
 * it) calls each node's vjp; both are re-exported here with `noGrad` as autograd's one face.
 */
import { isGradEnabled } from './grad-mode.js';
import type { PrimitiveAttrs, Primitive, Rule } from './primitives.js';
import { Tensor } from './tensor.js';

export { isGradEnabled, noGrad } from './grad-mode.js';
export { backward } from './tensor.js';

/** The same values, cut from the graph (shares the data; treat it as read-only). */
export function detach(t: Tensor): Tensor {
  return new Tensor(t.data, t.shape, false, null);
}

/**
 * Run a primitive by its rule: forward now, and remember the rule (for its vjp) if any input
 * needs a gradient. Each op passes its own family's rule (`elementwiseRules.add`), so the
 * core never imports the ops (docs/architecture.md, "Primitives and composites").
 */
export function apply<P extends Primitive>(rule: Rule<P>, inputs: Tensor[], attrs: PrimitiveAttrs[P]): Tensor {
  const out = rule.forward(inputs, attrs);
  const track = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  return new Tensor(out.data, out.shape, track, track ? { rule, inputs, attrs } : null);
}
