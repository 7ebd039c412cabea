/**
 * The rule table: every primitive's rule under its name. Its type demands exactly one rule
 * per key of PrimitiveAttrs, so adding a primitive without a rule does not compile. Autograd
 * does not read it (each op hands its own rule to `apply`, and the node keeps it); it is the
 * completeness check, and the lookup by name for whatever needs one. It sits above every op
 * family, which is why no op may import it (docs/architecture.md, "Primitives and composites").
 */
import type { Primitive, RuleTable } from '../lib/core/primitives.js';
import { batchNormRules } from './batchnorm.js';
import { broadcastRules } from './broadcast.js';
import { convRules } from './conv.js';
import { elementwiseRules } from './elementwise.js';
import { matmulRules } from './matmul.js';
import { movementRules } from './movement.js';
import { poolRules } from './pool.js';
import { reduceRules } from './reduce.js';
import { resizeRules } from './resize.js';

/** Every primitive's rule (forward + vjp), by primitive name. */
export const rules: RuleTable<Primitive> = {
  ...elementwiseRules,
  ...broadcastRules,
  ...reduceRules,
  ...movementRules,
  ...matmulRules,
  ...convRules,
  ...poolRules,
  ...resizeRules,
  ...batchNormRules,
};
