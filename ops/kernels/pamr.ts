/**
 * gpu.js PAMR kernels (docs/method.md#pamr). Image and mask are padded by replication
 * once per use, so every neighbour read is an unclamped int32 offset baked into the
 * source. Affinity = five launches (std, max of a over j, exp(a - max), sum, normalise) so
 * the softmax needs only 2J exponentials per pixel; each propagation step is one launch.
 */
import type { DataArray } from '../../lib/core/precision.js';
import type { PamrGeom } from '../reference/pamr.js';
import type { GpuMode } from './gpu.js';
import { padReplicate } from './pack.js';
import { F32_EXACT, f32, type Program } from './program.js';
import { runSync } from './run.js';

export interface PamrKernels {
  affinity(image: DataArray, g: PamrGeom): DataArray;
  /** T propagation steps of a C-channel mask. */
  propagate(mask: DataArray, alpha: DataArray, C: number, iterations: number, g: PamrGeom): DataArray;
}

/** Padding and padded sizes: P covers the largest offset. */
function layout(g: PamrGeom) {
  let P = 0;
  for (let j = 0; j < g.dy.length; j++) P = Math.max(P, Math.abs(g.dy[j]!), Math.abs(g.dx[j]!));
  const Hp = g.H + 2 * P;
  const Wp = g.W + 2 * P;
  return { P, Hp, Wp, HpWp: Hp * Wp, HW: g.H * g.W, J: g.dy.length };
}

type Layout = ReturnType<typeof layout>;

/** Offset of neighbour j from the centre in a padded plane. */
const offset = (g: PamrGeom, L: Layout, j: number): number => g.dy[j]! * L.Wp + g.dx[j]!;

/** Padded-plane index of this thread's pixel, as an int32 expression plus a plane base. */
const centre = (L: Layout, plane: string): string =>
  `${plane} + (this.thread.y + ${L.P}) * ${L.Wp} + this.thread.x + ${L.P}`;

function* affinityProgram(img: Float32Array, g: PamrGeom): Program<Float32Array> {
  const L = layout(g);
  const { N, K, H, W, D } = g;
  const { J, HW, HpWp } = L;
  const X = padReplicate(img, N * K, H, W, L.P);
  const out = [W, H];
  // sigma[n,k,p]: unbiased std of the 9|D| taps (centre counted D times)
  const taps = 9 * D;
  let sumTaps = '';
  let ssTaps = '';
  for (let j = 0; j < J; j++) {
    sumTaps += `s += x[${centre(L, `this.thread.z * ${HpWp}`)} + ${offset(g, L, j)}];\n`;
    ssTaps += `d = x[${centre(L, `this.thread.z * ${HpWp}`)} + ${offset(g, L, j)}] - mean; ss += d * d;\n`;
  }
  const sigma = yield {
    source: `function (x) {
  const c0 = x[${centre(L, `this.thread.z * ${HpWp}`)}];
  let s = ${D} * c0; let d = 0.0;
  ${sumTaps}
  const mean = s / ${taps};
  let ss = ${D} * (c0 - mean) * (c0 - mean);
  ${ssTaps}
  return Math.sqrt(ss / ${taps - 1});
}`,
    output: [...out, N * K], args: [X], components: 1, cost: HW * N * K * 2 * J,
  };
  // a(p,j) for one j, as a statement list; `nb` is n*K*HpWp, `sb` is n*K*HW (f32 locals)
  const aOf = (off: string): string => {
    let s = 'a = 0.0;\n';
    for (let k = 0; k < K; k++)
      s += `a -= Math.abs(x[${centre(L, `(nb | 0) + ${k * HpWp}`)}] - x[${centre(L, `(nb | 0) + ${k * HpWp}`)} + ${off}]) / (${K * 1e-8} + ${0.1 * K} * sg[(sb | 0) + ${k * HW} + this.thread.y * ${W} + this.thread.x]);\n`;
    return s;
  };
  let maxBody = '';
  for (let j = 0; j < J; j++) maxBody += `${aOf(String(offset(g, L, j)))} if (a > m) { m = a; }\n`;
  const m = yield {
    source: `function (x, sg) {
  const nb = this.thread.z * ${K * HpWp}; const sb = this.thread.z * ${K * HW};
  let a = 0.0; let m = -Infinity;
  ${maxBody}
  return m;
}`,
    output: [...out, N], args: [X, sigma], components: 1, cost: HW * N * J * K,
  };
  const offs = Float32Array.from({ length: J }, (_, j) => offset(g, L, j));
  const e = yield {
    source: `function (x, sg, m, offs) {
  const n = Math.floor(this.thread.z / ${J});
  const j = this.thread.z - n * ${J};
  const nb = n * ${K * HpWp}; const sb = n * ${K * HW};
  const off = offs[j];
  let a = 0.0;
  ${aOf('(off | 0)')}
  return Math.exp(a - m[((n * ${HW}) | 0) + this.thread.y * ${W} + this.thread.x]);
}`,
    output: [...out, N * J], args: [X, sigma, m, offs], components: 1, cost: HW * N * J * K,
  };
  let zBody = '';
  for (let j = 0; j < J; j++) zBody += `z += e[this.thread.z * ${J * HW} + ${j * HW} + this.thread.y * ${W} + this.thread.x];\n`;
  const Z = yield {
    source: `function (e) { let z = 0.0;\n${zBody} return z; }`,
    output: [...out, N], args: [e], components: 1, cost: HW * N * J,
  };
  return yield {
    source: `function (e, z) {
  const n = Math.floor(this.thread.z / ${J});
  return e[this.thread.z * ${HW} + this.thread.y * ${W} + this.thread.x] / z[((n * ${HW}) | 0) + this.thread.y * ${W} + this.thread.x];
}`,
    output: [...out, N * J], args: [e, Z], components: 1, cost: HW * N * J,
  };
}

function* propagateProgram(mask: Float32Array, alpha: Float32Array, C: number, iterations: number, g: PamrGeom): Program<Float32Array> {
  const L = layout(g);
  const { N, H, W } = g;
  const { J, HW, HpWp } = L;
  let body = '';
  for (let j = 0; j < J; j++)
    body += `acc += al[(an | 0) + ${j * HW} + this.thread.y * ${W} + this.thread.x] * m[${centre(L, `this.thread.z * ${HpWp}`)} + ${offset(g, L, j)}];\n`;
  const source = `function (m, al) {
  const n = Math.floor(this.thread.z / ${C});
  const an = n * ${J * HW};
  let acc = 0.0;
  ${body}
  return acc;
}`;
  let cur = mask;
  for (let t = 0; t < iterations; t++) {
    cur = yield { source, output: [W, H, N * C], args: [padReplicate(cur, N * C, H, W, L.P), alpha], components: 1, cost: HW * N * C * J };
  }
  return cur;
}

/** Images per launch so that every f32 index stays exact. */
function imagesPerChunk(g: PamrGeom, C: number): number {
  const L = layout(g);
  const perImage = Math.max(L.J * L.HW, Math.max(g.K, C) * L.HpWp);
  return Math.max(1, Math.floor(F32_EXACT / 2 / perImage));
}

export function pamrFits(g: PamrGeom, C: number): boolean {
  const L = layout(g);
  return Math.max(L.J * L.HW, Math.max(g.K, C) * L.HpWp) < F32_EXACT / 2;
}

/** Run a per-image-chunk program over the batch and concatenate (images are independent). */
function* chunked(g: PamrGeom, C: number, perImageOut: number, run: (n0: number, n1: number, gc: PamrGeom) => Program<Float32Array>): Program<Float32Array> {
  const per = imagesPerChunk(g, C);
  if (per >= g.N) return yield* run(0, g.N, g);
  const out = new Float32Array(g.N * perImageOut);
  for (let n0 = 0; n0 < g.N; n0 += per) {
    const n1 = Math.min(g.N, n0 + per);
    out.set(yield* run(n0, n1, { ...g, N: n1 - n0 }), n0 * perImageOut);
  }
  return out;
}

/** alpha [N, J, H, W] for a whole batch. */
export function affinityProgramChunked(image: DataArray, g: PamrGeom): Program<Float32Array> {
  const img = f32(image);
  const per = g.K * g.H * g.W;
  return chunked(g, 1, g.dy.length * g.H * g.W, (n0, n1, gc) => affinityProgram(img.subarray(n0 * per, n1 * per), gc));
}

/** T propagation steps of a whole batch. */
export function propagateProgramChunked(mask: DataArray, alpha: DataArray, C: number, iterations: number, g: PamrGeom): Program<Float32Array> {
  const m = f32(mask);
  const a = f32(alpha);
  const HW = g.H * g.W;
  const J = g.dy.length;
  return chunked(g, C, C * HW, (n0, n1, gc) =>
    propagateProgram(m.subarray(n0 * C * HW, n1 * C * HW), a.subarray(n0 * J * HW, n1 * J * HW), C, iterations, gc));
}

export function pamrKernels(mode: GpuMode): PamrKernels {
  return {
    affinity: (image, g) => runSync(mode, affinityProgramChunked(image, g)),
    propagate: (mask, alpha, C, iterations, g) => runSync(mode, propagateProgramChunked(mask, alpha, C, iterations, g)),
  };
}
