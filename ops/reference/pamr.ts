/** Plain TypeScript PAMR (docs/method.md#pamr): affinities, then T propagation steps. */
import { allocate, type DataArray } from '../../lib/core/precision.js';

/** Sizes of a PAMR call; dy/dx are the J neighbour offsets. */
export interface PamrGeom {
  N: number; K: number; H: number; W: number;
  dy: Int32Array; dx: Int32Array;
  /** Number of dilations (the centre tap enters the std this many times). */
  D: number;
}

const clamp = (v: number, hi: number): number => (v < 0 ? 0 : v > hi ? hi : v);

/** alpha [N, J, H, W]: softmax over the J neighbours of the image-adaptive affinity. */
export function pamrAffinityRef(img: DataArray, g: PamrGeom): DataArray {
  const { N, K, H, W, dy, dx, D } = g;
  const J = dy.length;
  const HW = H * W;
  const alpha = allocate(N * J * HW);
  const a = new Float64Array(J);
  const taps = 9 * D;
  for (let n = 0; n < N; n++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        a.fill(0);
        for (let k = 0; k < K; k++) {
          const base = (n * K + k) * HW;
          const centre = img[base + y * W + x]!;
          // Two passes (mean, then squared deviations): unbiased std over 9|D| taps.
          let sum = D * centre;
          for (let j = 0; j < J; j++) sum += img[base + clamp(y + dy[j]!, H - 1) * W + clamp(x + dx[j]!, W - 1)]!;
          const mean = sum / taps;
          let ss = D * (centre - mean) ** 2;
          for (let j = 0; j < J; j++) ss += (img[base + clamp(y + dy[j]!, H - 1) * W + clamp(x + dx[j]!, W - 1)]! - mean) ** 2;
          const denom = 1e-8 + 0.1 * Math.sqrt(ss / (taps - 1));
          for (let j = 0; j < J; j++) {
            const v = img[base + clamp(y + dy[j]!, H - 1) * W + clamp(x + dx[j]!, W - 1)]!;
            a[j] -= Math.abs(centre - v) / denom / K;
          }
        }
        let m = -Infinity;
        for (let j = 0; j < J; j++) m = Math.max(m, a[j]!);
        let z = 0;
        for (let j = 0; j < J; j++) z += Math.exp(a[j]! - m);
        for (let j = 0; j < J; j++) alpha[(n * J + j) * HW + y * W + x] = Math.exp(a[j]! - m) / z;
      }
  return alpha;
}

/** One step M(p) <- sum_j alpha(p,j) M(clamp(p + o_j)) for mask planes [P,H,W], plane p of image planeImage[p]. */
export function pamrStepRef(mask: DataArray, alpha: DataArray, planeImage: ArrayLike<number>, g: PamrGeom): DataArray {
  const { H, W, dy, dx } = g;
  const J = dy.length;
  const HW = H * W;
  const out = allocate(planeImage.length * HW);
  for (let p = 0; p < planeImage.length; p++) {
    const mb = p * HW;
    const n = planeImage[p]!;
    for (let j = 0; j < J; j++) {
      const ab = (n * J + j) * HW;
      for (let y = 0; y < H; y++) {
        const row = clamp(y + dy[j]!, H - 1) * W;
        for (let x = 0; x < W; x++) out[mb + y * W + x] += alpha[ab + y * W + x]! * mask[mb + row + clamp(x + dx[j]!, W - 1)]!;
      }
    }
  }
  return out;
}
