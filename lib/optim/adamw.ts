/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, PyTorch semantics:
 *   p *= 1 - lr * wd;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *   p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
 */
import type { StateEntry } from '../nn/module.js';
import type { Parameter } from '../nn/parameter.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';

/** AdamW options: betas (default [0.9, 0.999]), eps (1e-8); weightDecay defaults to 0.01. */
export interface AdamWOptions extends OptimizerOptions {
  betas?: [number, number];
  eps?: number;
}

/** Adam with decoupled weight decay and bias correction, PyTorch semantics; step counts are per parameter. */
export class AdamW extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  private readonly moments: Array<{ m: Float32Array; v: Float32Array; t: number } | null>;

  constructor(params: Iterable<Parameter>, opts: AdamWOptions) {
    super(params, { weightDecay: 0.01, ...opts });
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.moments = this.params.map(() => null);
  }

  protected update(p: Parameter, grad: ArrayLike<number>, i: number, lr: number, wd: number): void {
    const w = p.data;
    const s = (this.moments[i] ??= { m: new Float32Array(w.length), v: new Float32Array(w.length), t: 0 });
    const [b1, b2] = this.betas;
    s.t++; // per parameter: a parameter without gradient on some step is not advanced
    const c1 = 1 - b1 ** s.t;
    const c2 = 1 - b2 ** s.t;
    for (let j = 0; j < w.length; j++) {
      const g = grad[j]!;
      s.m[j] = b1 * s.m[j]! + (1 - b1) * g;
      s.v[j] = b2 * s.v[j]! + (1 - b2) * g * g;
      w[j] = w[j]! * (1 - lr * wd) - (lr * s.m[j]! / c1) / (Math.sqrt(s.v[j]! / c2) + this.eps);
    }
  }

  stateEntries(): Map<string, StateEntry> {
    const out = new Map<string, StateEntry>();
    this.moments.forEach((s, i) => {
      if (!s) return;
      out.set(`m.${i}`, { shape: [s.m.length], data: s.m });
      out.set(`v.${i}`, { shape: [s.v.length], data: s.v });
      out.set(`t.${i}`, { shape: [1], data: [s.t] });
    });
    return out;
  }

  loadStateEntries(entries: ReadonlyMap<string, StateEntry>): void {
    this.moments.forEach((_, i) => {
      const [m, v, t] = ['m', 'v', 't'].map((k) => entries.get(`${k}.${i}`));
      this.moments[i] = m && v && t ? { m: Float32Array.from(m.data), v: Float32Array.from(v.data), t: t.data[0]! } : null;
    });
  }
}
