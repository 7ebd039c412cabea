/** Plain TypeScript global average pooling and max pooling (with their gradients). */
import { allocate, type DataArray } from '../../lib/core/precision.js';
import type { PoolGeom } from '../pool-geom.js';

/** Mean of each [H,W] plane: planes = N*C, plane = H*W. */
export function gapRef(x: DataArray, planes: number, plane: number): DataArray {
  const out = allocate(planes);
  for (let p = 0; p < planes; p++) {
    let acc = 0;
    for (let q = p * plane; q < (p + 1) * plane; q++) acc += x[q]!;
    out[p] = acc / plane;
  }
  return out;
}

export function gapBackwardRef(g: DataArray, planes: number, plane: number): DataArray {
  const gx = allocate(planes * plane);
  for (let p = 0; p < planes; p++) gx.fill(g[p]! / plane, p * plane, (p + 1) * plane);
  return gx;
}

/**
 * Index (within its plane) of the max of each window; padding counts as -Infinity, and
 * the first maximum in row-major order wins ties (as PyTorch). Also returns the values.
 */
export function maxPoolArgmaxRef(x: DataArray, g: PoolGeom): { out: DataArray; arg: Int32Array } {
  const { planes, H, W, k, s, p, OH, OW } = g;
  const out = allocate(planes * OH * OW);
  const arg = new Int32Array(out.length);
  for (let pl = 0, o = 0; pl < planes; pl++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++, o++) {
        let best = -Infinity;
        let at = -1;
        for (let i = 0; i < k; i++) {
          const iy = oy * s - p + i;
          if (iy < 0 || iy >= H) continue;
          for (let j = 0; j < k; j++) {
            const ix = ox * s - p + j;
            if (ix < 0 || ix >= W) continue;
            const v = x[(pl * H + iy) * W + ix]!;
            if (v > best || at < 0) [best, at] = [v, iy * W + ix];
          }
        }
        out[o] = best;
        arg[o] = at;
      }
  return { out, arg };
}

export function maxPool2dRef(x: DataArray, g: PoolGeom): DataArray {
  return maxPoolArgmaxRef(x, g).out;
}

/** Each output gradient goes to its window's argmax. */
export function maxPool2dBackwardRef(gy: DataArray, x: DataArray, g: PoolGeom): DataArray {
  const { planes, H, W, OH, OW } = g;
  const { arg } = maxPoolArgmaxRef(x, g);
  const gx = allocate(planes * H * W);
  for (let o = 0; o < arg.length; o++) gx[Math.floor(o / (OH * OW)) * H * W + arg[o]!] += gy[o]!;
  return gx;
}
