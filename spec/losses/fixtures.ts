/** Seeded inputs for the loss specs: logits, labels, saliency and image at one map size. */
import { Rng } from '../../lib/index.js';

export interface Raw {
  data: number[];
  shape: number[];
}

export interface LossInputs {
  z: Raw;
  labels: Raw;
  saliency: Raw;
  image: Raw;
}

/** Saliency values at least `margin` away from 0.5, so tiny perturbations never flip B(S). */
export function awayFromHalf(v: number, margin = 0.05): number {
  return Math.abs(v - 0.5) < margin ? (v < 0.5 ? 0.5 - margin : 0.5 + margin) : v;
}

/** z [N,C+1,h,w] in [-3,3], labels [N,C] with at least one present class, S, image [N,3,h,w]. */
export function lossInputs(N: number, C: number, h: number, w: number, seed: number): LossInputs {
  const rng = new Rng(seed);
  const draw = (n: number, f: () => number) => Array.from({ length: n }, f);
  const labels = draw(N * C, () => (rng.next() < 0.5 ? 1 : 0));
  for (let n = 0; n < N; n++) labels[n * C + rng.int(C)] = 1;
  return {
    z: { data: draw(N * (C + 1) * h * w, () => rng.uniform(-3, 3)), shape: [N, C + 1, h, w] },
    labels: { data: labels, shape: [N, C] },
    saliency: { data: draw(N * h * w, () => awayFromHalf(rng.next())), shape: [N, 1, h, w] },
    image: { data: draw(N * 3 * h * w, () => rng.next()), shape: [N, 3, h, w] },
  };
}

/** Smallest distance of any value to 0.5 (how close a binarisation is to flipping). */
export function marginToHalf(values: ArrayLike<number>): number {
  let m = Infinity;
  for (let i = 0; i < values.length; i++) m = Math.min(m, Math.abs(values[i]! - 0.5));
  return m;
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-9, what = 'values'): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) throw new Error(`${what}[${i}]: ${a} vs expected ${e}`);
  }
}
