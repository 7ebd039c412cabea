/**
 * Optimiser base: holds the parameters, the base learning rate (set it each step from a
 * schedule) and per-parameter state. Each parameter's effective rate is lr * p.lrMult, so
 * parameter groups are just parameters sharing a tag (e.g. the head's lrMult = 10).
 */
import type { StateEntry } from '../nn/module.js';
import type { Parameter } from '../nn/parameter.js';

/** Base learning rate and weight decay (default 0; AdamW defaults to 0.01). */
export interface OptimizerOptions {
  lr: number;
  weightDecay?: number;
}

/**
 * Base of the optimisers: step() updates each parameter that has a .grad in place with
 * rate lr * p.lrMult and weight decay only where p.decay; zeroGrad() clears the gradients.
 */
export abstract class Optimizer {
  readonly params: Parameter[];
  lr: number;
  readonly weightDecay: number;
  /** Number of step() calls so far. */
  stepCount = 0;

  constructor(params: Iterable<Parameter>, opts: OptimizerOptions) {
    this.params = [...new Set(params)];
    this.lr = opts.lr;
    this.weightDecay = opts.weightDecay ?? 0;
  }

  /** Parameters grouped by learning-rate multiplier (for logging and checks). */
  groups(): Array<{ lrMult: number; params: Parameter[] }> {
    const by = new Map<number, Parameter[]>();
    for (const p of this.params) by.set(p.lrMult, [...(by.get(p.lrMult) ?? []), p]);
    return [...by].map(([lrMult, params]) => ({ lrMult, params }));
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** Update every parameter that has a gradient, in place. */
  step(): void {
    this.stepCount++;
    this.params.forEach((p, i) => {
      if (p.grad !== null) this.update(p, p.grad.data, i, this.lr * p.lrMult, p.decay ? this.weightDecay : 0);
    });
  }

  /** Per-parameter state (momentum, moments) by name, for resumable training checkpoints. */
  abstract stateEntries(): Map<string, StateEntry>;

  /** Restore what stateEntries() returned (same parameters, same order). */
  abstract loadStateEntries(entries: ReadonlyMap<string, StateEntry>): void;

  /** One parameter's update with its effective learning rate and weight decay. */
  protected abstract update(p: Parameter, grad: ArrayLike<number>, index: number, lr: number, weightDecay: number): void;
}
