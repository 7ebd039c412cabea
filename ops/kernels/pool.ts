/**
 * gpu.js kernels for global average pooling and max pooling. Max pooling packs the input
 * into -Infinity-padded planes stacked vertically (as conv does), and records the window
 * tap of each maximum; its backward gathers, per input pixel, the gradients of the (at
 * most ceil(k/s)^2) windows whose recorded tap is that pixel.
 */
import type { DataArray } from '../../lib/core/precision.js';
import type { PoolGeom } from '../pool-geom.js';
import type { GpuMode } from './gpu.js';
import { packPlanes } from './pack.js';
import { F32_EXACT, f32, roundUp, type Program } from './program.js';
import { runSync } from './run.js';

export interface PoolKernels {
  gap(x: DataArray, planes: number, plane: number): DataArray;
  gapBackward(g: DataArray, planes: number, plane: number): DataArray;
  maxPool(x: DataArray, g: PoolGeom): DataArray;
  maxPoolBackward(gy: DataArray, x: DataArray, g: PoolGeom): DataArray;
}

export function* gapProgram(x: DataArray, planes: number, plane: number): Program<Float32Array> {
  const source = `function (x) {
  let acc = 0.0;
  for (let i = 0; i < ${plane}; i++) acc += x[this.thread.x * ${plane} + (i | 0)];
  return acc / ${plane};
}`;
  return yield { source, output: [planes], args: [f32(x)], components: 1, cost: planes * plane };
}

export function* gapBackwardProgram(g: DataArray, planes: number, plane: number): Program<Float32Array> {
  const source = `function (g) { return g[this.thread.y] / ${plane}; }`;
  return yield { source, output: [plane, planes], args: [f32(g)], components: 1, cost: planes * plane };
}

/** Max and window tap (i*k + j, first maximum in row-major order) of every window. */
function* maxPoolArgmax(x: DataArray, g: PoolGeom): Program<{ max: Float32Array; tap: Float32Array }> {
  const { planes, H, W, k, s, p, OH, OW } = g;
  const Q = Math.ceil((H + 2 * p) / s);
  const Hq = Q * s;
  const Wq = W + 2 * p;
  const OWq = roundUp(OW, 4);
  const tail = (k + s + 1) * Wq + OWq * s + k + 4;
  const P = packPlanes(f32(x), { N: 1, C: planes, H, W, offY: p, offX: p, stepY: 1, stepX: 1, Hq, Wq, tail, fill: -Infinity });
  let taps = '';
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++)
      taps += `v = x[this.thread.y * ${s * Wq} + this.thread.x * ${s} + ${i * Wq + j}];
  if (v > best) { best = v; at = ${i * k + j}; }\n`;
  const source = `function (x) {
  let best = -Infinity; let at = 0.0; let v = 0.0;
  ${taps}
  return [best, at, 0, 0];
}`;
  // Two values per thread, returned as four (the flat output has 1 or 4 floats per thread).
  const r = yield { source, output: [OWq, planes * Q], args: [P], components: 4, cost: OWq * planes * Q * k * k };
  const max = new Float32Array(planes * OH * OW);
  const tap = new Float32Array(planes * OH * OW);
  for (let pl = 0, o = 0; pl < planes; pl++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++, o++) {
        const src = ((pl * Q + oy) * OWq + ox) * 4;
        max[o] = r[src]!;
        tap[o] = r[src + 1]!;
      }
  return { max, tap };
}

export function* maxPoolProgram(x: DataArray, g: PoolGeom): Program<Float32Array> {
  return (yield* maxPoolArgmax(x, g)).max;
}

export function* maxPoolBackwardProgram(gy: DataArray, x: DataArray, g: PoolGeom): Program<Float32Array> {
  const { tap } = yield* maxPoolArgmax(x, g);
  const { planes, H, W, k, s, p, OH, OW } = g;
  const R = Math.ceil(k / s);
  let body = '';
  for (let ry = 0; ry < R; ry++)
    for (let rx = 0; rx < R; rx++)
      body += `oy = oyc - ${ry}; ox = oxc - ${rx};
  if (oy >= 0 && oy < ${OH} && this.thread.y + ${p} - oy * ${s} < ${k} && ox >= 0 && ox < ${OW} && this.thread.x + ${p} - ox * ${s} < ${k}) {
    o = this.thread.z * ${OH * OW} + oy * ${OW} + ox;
    if (tap[o] === (this.thread.y + ${p} - oy * ${s}) * ${k} + this.thread.x + ${p} - ox * ${s}) acc += gy[o];
  }\n`;
  const source = `function (tap, gy) {
  let acc = 0.0; let oy = 0.0; let ox = 0.0; let o = 0.0;
  const oyc = Math.floor((this.thread.y + ${p}) / ${s});
  const oxc = Math.floor((this.thread.x + ${p}) / ${s});
  ${body}
  return acc;
}`;
  return yield { source, output: [W, H, planes], args: [tap, f32(gy)], components: 1, cost: W * H * planes * R * R };
}

export function poolFits(g: PoolGeom): boolean {
  return (g.planes * (g.H + 2 * g.p + g.s) * (g.W + 2 * g.p)) < F32_EXACT / 2;
}

export function poolKernels(mode: GpuMode): PoolKernels {
  return {
    gap: (x, planes, plane) => runSync(mode, gapProgram(x, planes, plane)),
    gapBackward: (g, planes, plane) => runSync(mode, gapBackwardProgram(g, planes, plane)),
    maxPool: (x, g) => runSync(mode, maxPoolProgram(x, g)),
    maxPoolBackward: (gy, x, g) => runSync(mode, maxPoolBackwardProgram(gy, x, g)),
  };
}
