/** Plain TypeScript bilinear and nearest resize of [planes, H, W] data, with gradients. */
import { allocate, type DataArray } from '../../lib/core/precision.js';
import type { LinearTaps } from '../resize-taps.js';

/** Sizes of a resize: planes = N*C, [H,W] -> [OH,OW]. */
export interface ResizeGeom {
  planes: number; H: number; W: number; OH: number; OW: number;
}

export function resizeBilinearRef(x: DataArray, g: ResizeGeom, ty: LinearTaps, tx: LinearTaps): DataArray {
  const { planes, H, W, OH, OW } = g;
  const out = allocate(planes * OH * OW);
  for (let p = 0, o = 0; p < planes; p++)
    for (let oy = 0; oy < OH; oy++) {
      const r0 = (p * H + ty.lo[oy]!) * W;
      const r1 = (p * H + ty.hi[oy]!) * W;
      const b = ty.t[oy]!;
      for (let ox = 0; ox < OW; ox++, o++) {
        const [c0, c1, a] = [tx.lo[ox]!, tx.hi[ox]!, tx.t[ox]!];
        const top = x[r0 + c0]! * (1 - a) + x[r0 + c1]! * a;
        const bot = x[r1 + c0]! * (1 - a) + x[r1 + c1]! * a;
        out[o] = top * (1 - b) + bot * b;
      }
    }
  return out;
}

/** Transpose of the forward: each output gradient spreads to its four taps. */
export function resizeBilinearBackwardRef(gy: DataArray, g: ResizeGeom, ty: LinearTaps, tx: LinearTaps): DataArray {
  const { planes, H, W, OH, OW } = g;
  const gx = allocate(planes * H * W);
  for (let p = 0, o = 0; p < planes; p++)
    for (let oy = 0; oy < OH; oy++) {
      const r0 = (p * H + ty.lo[oy]!) * W;
      const r1 = (p * H + ty.hi[oy]!) * W;
      const b = ty.t[oy]!;
      for (let ox = 0; ox < OW; ox++, o++) {
        const [c0, c1, a] = [tx.lo[ox]!, tx.hi[ox]!, tx.t[ox]!];
        const v = gy[o]!;
        gx[r0 + c0] += v * (1 - a) * (1 - b);
        gx[r0 + c1] += v * a * (1 - b);
        gx[r1 + c0] += v * (1 - a) * b;
        gx[r1 + c1] += v * a * b;
      }
    }
  return gx;
}

export function resizeNearestRef(x: DataArray, g: ResizeGeom, sy: Int32Array, sx: Int32Array): DataArray {
  const { planes, H, W, OH, OW } = g;
  const out = allocate(planes * OH * OW);
  for (let p = 0, o = 0; p < planes; p++)
    for (let oy = 0; oy < OH; oy++) {
      const r = (p * H + sy[oy]!) * W;
      for (let ox = 0; ox < OW; ox++, o++) out[o] = x[r + sx[ox]!]!;
    }
  return out;
}

export function resizeNearestBackwardRef(gy: DataArray, g: ResizeGeom, sy: Int32Array, sx: Int32Array): DataArray {
  const { planes, H, W, OH, OW } = g;
  const gx = allocate(planes * H * W);
  for (let p = 0, o = 0; p < planes; p++)
    for (let oy = 0; oy < OH; oy++) {
      const r = (p * H + sy[oy]!) * W;
      for (let ox = 0; ox < OW; ox++, o++) gx[r + sx[ox]!] += gy[o]!;
    }
  return gx;
}
