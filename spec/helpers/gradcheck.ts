/**
 * Gradient check by central finite differences on the float64 reference path.
 * The loss is sum(f(xs) * w) with fixed random weights w, so every output element
 * contributes with a different weight (a plain sum would hide transposed gradients).
 */
import { Tensor, withPrecision, Rng } from '../../lib/index.js';

export interface GradCheckOptions {
  eps?: number;
  rtol?: number;
  atol?: number;
  /** Inputs (by index) that get no gradient check (e.g. labels). */
  skip?: number[];
  seed?: number;
}

export interface GradCheckResult {
  ok: boolean;
  worst: { input: number; index: number; analytic: number; numeric: number } | null;
}

export function gradCheck(
  f: (...xs: Tensor[]) => Tensor,
  inputs: Array<{ data: ArrayLike<number>; shape: number[] }>,
  opts: GradCheckOptions = {},
): GradCheckResult {
  const { eps = 1e-6, rtol = 1e-4, atol = 1e-7, skip = [] } = opts;
  return withPrecision('float64', () => {
    const xs = inputs.map((x, i) => new Tensor(Float64Array.from(x.data), x.shape, !skip.includes(i)));
    const probe = f(...xs);
    const rng = new Rng(opts.seed ?? 1234);
    const w = Float64Array.from({ length: probe.size }, () => rng.uniform(0.5, 1.5) * (rng.next() < 0.5 ? -1 : 1));
    const loss = (): number => {
      const out = f(...xs).data;
      let s = 0;
      for (let i = 0; i < out.length; i++) s += out[i]! * w[i]!;
      return s;
    };
    probe.backward(new Tensor(w, probe.shape));
    let worst: GradCheckResult['worst'] = null;
    let worstExcess = -Infinity;
    xs.forEach((x, i) => {
      if (skip.includes(i)) return;
      const analytic = x.grad?.data ?? new Float64Array(x.size);
      for (let j = 0; j < x.size; j++) {
        const v = x.data[j]!;
        x.data[j] = v + eps;
        const up = loss();
        x.data[j] = v - eps;
        const down = loss();
        x.data[j] = v;
        const numeric = (up - down) / (2 * eps);
        const excess = Math.abs(analytic[j]! - numeric) - (atol + rtol * Math.abs(numeric));
        if (excess > worstExcess) {
          worstExcess = excess;
          worst = { input: i, index: j, analytic: analytic[j]!, numeric };
        }
      }
    });
    return { ok: worstExcess <= 0, worst };
  });
}

/** Throw with the worst mismatch when the check fails. */
export function assertGradient(f: (...xs: Tensor[]) => Tensor, inputs: Array<{ data: ArrayLike<number>; shape: number[] }>, opts: GradCheckOptions = {}): void {
  const r = gradCheck(f, inputs, opts);
  if (!r.ok) {
    const w = r.worst!;
    throw new Error(`gradient mismatch at input ${w.input}[${w.index}]: analytic ${w.analytic} vs numeric ${w.numeric}; shapes ${inputs.map((x) => `[${x.shape}]`).join(' ')}`);
  }
}
