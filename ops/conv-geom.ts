/** Conv2d geometry: option normalisation, shape checks and output size, shared by every path. */
import { assertShape, shapeStr } from '../lib/core/shape.js';

/** One value for both spatial axes, or [vertical, horizontal]. */
export type Pair = number | [number, number];

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
}

/** Sizes of one conv2d call: input [N,C,H,W], weight [K,C,kh,kw], output [N,K,OH,OW]. */
export interface ConvGeom {
  N: number; C: number; H: number; W: number;
  K: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
  OH: number; OW: number;
}

export function pair(op: string, name: string, v: Pair | undefined, dflt: number, min: number): [number, number] {
  const p: [number, number] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  assertShape(p.every((d) => Number.isInteger(d) && d >= min), op, `${name} must be integer(s) >= ${min}, got ${JSON.stringify(v)}`);
  return p;
}

/** Output length of a sliding window (floor mode). */
export function outSize(n: number, k: number, stride: number, pad: number, dil: number): number {
  return Math.floor((n + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
}

export function convGeom(x: readonly number[], w: readonly number[], b: readonly number[] | null, opts: Conv2dOptions): ConvGeom {
  const shapes = `input ${shapeStr(x)}, weight ${shapeStr(w)}${b ? `, bias ${shapeStr(b)}` : ''}`;
  assertShape(x.length === 4 && w.length === 4, 'conv2d', `expects input [N,C,H,W] and weight [K,C,kh,kw]; got ${shapes}`);
  const [N, C, H, W] = x as [number, number, number, number];
  const [K, C2, kh, kw] = w as [number, number, number, number];
  assertShape(C === C2, 'conv2d', `input channels ${C} != weight channels ${C2} (groups = 1); got ${shapes}`);
  assertShape(b === null || (b.length === 1 && b[0] === K), 'conv2d', `bias must be [${K}]; got ${shapes}`);
  const [sh, sw] = pair('conv2d', 'stride', opts.stride, 1, 1);
  const [ph, pw] = pair('conv2d', 'padding', opts.padding, 0, 0);
  const [dh, dw] = pair('conv2d', 'dilation', opts.dilation, 1, 1);
  const OH = outSize(H, kh, sh, ph, dh);
  const OW = outSize(W, kw, sw, pw, dw);
  assertShape(OH > 0 && OW > 0 && kh > 0 && kw > 0, 'conv2d', `empty output ${OH}x${OW} for ${shapes}, stride ${sh},${sw}, padding ${ph},${pw}, dilation ${dh},${dw}`);
  return { N, C, H, W, K, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW };
}
