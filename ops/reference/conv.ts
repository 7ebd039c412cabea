/**
 * Plain TypeScript conv2d (groups = 1) and its two gradients: the reference every
 * kernel is tested against, and the path float64 gradient checks take. Loops walk
 * whole output rows so the inner loop is contiguous.
 */
import { allocate, type DataArray } from '../../lib/core/precision.js';
import type { ConvGeom } from '../conv-geom.js';

/** Visit every (n, k, c, i, j) tap with its valid output-x range for output row oy. */
function forEachTap(
  g: ConvGeom,
  visit: (n: number, k: number, c: number, i: number, j: number, oy: number, iy: number, ox0: number, ox1: number) => void,
): void {
  const { N, C, H, W, K, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW } = g;
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++)
      for (let c = 0; c < C; c++)
        for (let i = 0; i < kh; i++)
          for (let oy = 0; oy < OH; oy++) {
            const iy = oy * sh - ph + i * dh;
            if (iy < 0 || iy >= H) continue;
            for (let j = 0; j < kw; j++) {
              // ox range with 0 <= ox*sw - pw + j*dw < W
              const off = j * dw - pw;
              const ox0 = Math.max(0, Math.ceil(-off / sw));
              const ox1 = Math.min(OW, Math.floor((W - 1 - off) / sw) + 1);
              if (ox0 < ox1) visit(n, k, c, i, j, oy, iy, ox0, ox1);
            }
          }
}

export function conv2dRef(x: DataArray, w: DataArray, b: DataArray | null, g: ConvGeom): DataArray {
  const { C, H, W, K, kh, kw, sw, pw, dw, OH, OW } = g;
  const out = allocate(g.N * K * OH * OW);
  if (b !== null) for (let p = 0; p < g.N * K; p++) out.fill(b[p % K]!, p * OH * OW, (p + 1) * OH * OW);
  forEachTap(g, (n, k, c, i, j, oy, iy, ox0, ox1) => {
    const wv = w[((k * C + c) * kh + i) * kw + j]!;
    const o = ((n * K + k) * OH + oy) * OW;
    const s = ((n * C + c) * H + iy) * W + j * dw - pw;
    for (let ox = ox0; ox < ox1; ox++) out[o + ox] += wv * x[s + ox * sw]!;
  });
  return out;
}

/** dL/dx: every tap scatters g * w back to the input pixel it read. */
export function conv2dBackwardInputRef(gy: DataArray, w: DataArray, g: ConvGeom): DataArray {
  const { C, H, W, K, kh, kw, sw, pw, dw, OH, OW } = g;
  const gx = allocate(g.N * C * H * W);
  forEachTap(g, (n, k, c, i, j, oy, iy, ox0, ox1) => {
    const wv = w[((k * C + c) * kh + i) * kw + j]!;
    const o = ((n * K + k) * OH + oy) * OW;
    const s = ((n * C + c) * H + iy) * W + j * dw - pw;
    for (let ox = ox0; ox < ox1; ox++) gx[s + ox * sw] += wv * gy[o + ox]!;
  });
  return gx;
}

/** dL/dw: every tap sums g * x over batch and output positions. */
export function conv2dBackwardWeightRef(gy: DataArray, x: DataArray, g: ConvGeom): DataArray {
  const { C, H, W, K, kh, kw, sw, pw, dw, OH, OW } = g;
  const gw = allocate(K * C * kh * kw);
  forEachTap(g, (n, k, c, i, j, oy, iy, ox0, ox1) => {
    const o = ((n * K + k) * OH + oy) * OW;
    const s = ((n * C + c) * H + iy) * W + j * dw - pw;
    let acc = 0;
    for (let ox = ox0; ox < ox1; ox++) acc += gy[o + ox]! * x[s + ox * sw]!;
    gw[((k * C + c) * kh + i) * kw + j] += acc;
  });
  return gw;
}

/** dL/db[k] = sum of g over batch and pixels. */
export function conv2dBackwardBiasRef(gy: DataArray, g: ConvGeom): DataArray {
  const { K, OH, OW } = g;
  const gb = allocate(K);
  const plane = OH * OW;
  for (let p = 0; p < g.N * K; p++) {
    let acc = 0;
    for (let q = p * plane; q < (p + 1) * plane; q++) acc += gy[q]!;
    gb[p % K] += acc;
  }
  return gb;
}
