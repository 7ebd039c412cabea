/** fast-check generators shared by the specs: shapes, broadcastable shapes and seeded values. */
import fc from 'fast-check';
import { Rng } from '../../lib/index.js';

export const shapeArb = (maxRank = 3, maxDim = 4): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: 1, maxLength: maxRank });

/** A shape and a second shape that broadcasts against it (leading axes dropped, some axes set to 1). */
export const broadcastPairArb = (maxRank = 3, maxDim = 4): fc.Arbitrary<[number[], number[]]> =>
  shapeArb(maxRank, maxDim).chain((a) =>
    fc
      .tuple(fc.integer({ min: 0, max: a.length - 1 }), fc.array(fc.boolean(), { minLength: a.length, maxLength: a.length }), fc.boolean())
      .map(([drop, ones, swap]) => {
        const b = a.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d));
        return (swap ? [b, a] : [a, b]) as [number[], number[]];
      }),
  );

export interface ValueRange {
  lo?: number;
  hi?: number;
  /** Keep |x| at least this far from zero (avoids kinks of relu/abs and poles of div). */
  awayFromZero?: number;
}

/** Deterministic values for a shape from a seed. */
export function values(shape: readonly number[], seed: number, range: ValueRange = {}): { data: number[]; shape: number[] } {
  const { lo = -2, hi = 2, awayFromZero = 0 } = range;
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: n }, () => {
    const v = rng.uniform(lo, hi);
    return Math.abs(v) < awayFromZero ? (v < 0 ? -awayFromZero : awayFromZero) - v : v;
  });
  return { data, shape: [...shape] };
}

/** Values that are pairwise distinct by at least `gap` (avoids ties for max/min). */
export function distinctValues(shape: readonly number[], seed: number, gap = 0.05): { data: number[]; shape: number[] } {
  const n = shape.reduce((a, b) => a * b, 1);
  const order = new Rng(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  return { data: order.map((k) => (k - n / 2) * gap * 2), shape: [...shape] };
}

export const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });
