/** Shared helpers of the model specs. */
import type { Backbone } from '../../models/index.js';

/** Move every residual block's zero-initialised last BatchNorm gamma to 1, as the first steps of training do. */
export function wakeResiduals(backbone: Backbone): void {
  for (const b of backbone.layers) b.bn2.weight!.data.fill(1);
}
