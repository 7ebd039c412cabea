/** Weight initialisers (seeded: the same Rng state gives the same weights). */
import { allocate } from '../core/precision.js';
import type { Rng } from '../core/random.js';
import { sizeOf } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';

/** Normal(0, std^2) values. */
export function normal(shape: readonly number[], std: number, rng: Rng): Tensor {
  const d = allocate(sizeOf(shape));
  for (let i = 0; i < d.length; i++) d[i] = std * rng.normal();
  return new Tensor(d, shape);
}

/**
 * Kaiming (He) normal for layers followed by ReLU: std = sqrt(2 / fanIn), which keeps the
 * activation variance constant through depth. For conv weights [K,C,kh,kw], fanIn = C*kh*kw.
 */
export function kaimingNormal(shape: readonly number[], rng: Rng): Tensor {
  const fanIn = sizeOf(shape.slice(1));
  return normal(shape, Math.sqrt(2 / fanIn), rng);
}

