/**
 * SGD with momentum and (coupled, L2) weight decay, PyTorch semantics (dampening 0):
 *   g = grad + wd * p;  buf = momentum * buf + g (buf = g on the first step);  p -= lr * buf
 */
import type { StateEntry } from '../nn/module.js';
import type { Parameter } from '../nn/parameter.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';

/** SGD options: momentum (default 0, plain SGD). */
export interface SGDOptions extends OptimizerOptions {
  momentum?: number;
}

/** SGD with momentum and coupled L2 weight decay, PyTorch semantics (dampening 0, no Nesterov). */
export class SGD extends Optimizer {
  readonly momentum: number;
  private readonly buffers: Array<Float32Array | null>;

  constructor(params: Iterable<Parameter>, opts: SGDOptions) {
    super(params, opts);
    this.momentum = opts.momentum ?? 0;
    this.buffers = this.params.map(() => null);
  }

  protected update(p: Parameter, grad: ArrayLike<number>, i: number, lr: number, wd: number): void {
    const w = p.data;
    const mom = this.momentum;
    let buf = this.buffers[i]!;
    const first = buf === null;
    if (mom !== 0 && first) buf = this.buffers[i] = new Float32Array(w.length);
    for (let j = 0; j < w.length; j++) {
      let g = grad[j]! + wd * w[j]!;
      if (mom !== 0) g = buf![j] = first ? g : mom * buf![j]! + g;
      w[j] = w[j]! - lr * g;
    }
  }

  stateEntries(): Map<string, StateEntry> {
    const out = new Map<string, StateEntry>();
    this.buffers.forEach((b, i) => b && out.set(`momentum.${i}`, { shape: [b.length], data: b }));
    return out;
  }

  loadStateEntries(entries: ReadonlyMap<string, StateEntry>): void {
    this.buffers.forEach((_, i) => {
      const e = entries.get(`momentum.${i}`);
      this.buffers[i] = e ? Float32Array.from(e.data) : null;
    });
  }
}
