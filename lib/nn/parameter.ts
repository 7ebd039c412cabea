/**
 * Parameter: a leaf tensor that an optimiser updates in place. Two tags steer the
 * optimiser per parameter: `lrMult` (heads learn faster than the backbone, as in EPS)
 * and `decay` (no weight decay on biases and BatchNorm affine terms).
 */
import type { DataArray } from '../core/precision.js';
import { Tensor } from '../core/tensor.js';

/** Per-parameter optimiser tags. */
export interface ParameterOptions {
  /** Learning-rate multiplier (default 1). */
  lrMult?: number;
  /** Whether weight decay applies (default true). */
  decay?: boolean;
}

/** A trainable leaf tensor (requiresGrad) that optimisers update in place, with its lrMult and decay tags. */
export class Parameter extends Tensor {
  lrMult: number;
  decay: boolean;

  constructor(data: DataArray, shape: readonly number[], opts: ParameterOptions = {}) {
    super(data, shape, true);
    this.lrMult = opts.lrMult ?? 1;
    this.decay = opts.decay ?? true;
  }

  /** Wrap a tensor's values (shared, not copied) as a parameter. */
  static from(t: Tensor, opts?: ParameterOptions): Parameter {
    return new Parameter(t.data, t.shape, opts);
  }
}
