/**
 * gpu.js conv2d kernels. All three passes are one of two register-blocked kernels:
 *  - `convCore`: out[n,k,oy,ox] = sum_{c,i,j} P[c,n,oy*sh+i*dh,ox*sw+j*dw] * w[k,c,i,j] over a
 *    pre-padded input P. Each thread computes 4 output channels for one pixel, SIMD lanes
 *    run along output x, so an input gather is reused 4 times and weights are uniform
 *    scalar loads. Forward = convCore on the zero-padded input; backward-input = convCore
 *    on the zero-inserted, padded output gradient with flipped, transposed weights.
 *  - `weightGrad`: gw[k,c,i,j] = sum_{n,oy,ox} gy[n,k,oy,ox] * P[c,n,oy*sh+i*dh,ox*sw+j*dw];
 *    lanes run along input channels, 4 output channels per thread.
 * Index expressions use `(v | 0)` and thread ids so gpu.js emits int32 math (its locals
 * are float32, exact below 2^24: batches are split to stay under that).
 */
import type { DataArray } from '../../lib/precision.js';
import type { ConvGeom } from '../conv-geom.js';
import type { GpuMode } from './gpu.js';
import { batchChunks, packPlanes } from './pack.js';
import { F32_EXACT, f32, roundUp, type Program } from './program.js';
import { runSync } from './run.js';

export interface ConvKernels {
  forward(x: DataArray, w: DataArray, b: DataArray | null, g: ConvGeom): DataArray;
  backwardInput(gy: DataArray, w: DataArray, g: ConvGeom): DataArray;
  backwardWeight(gy: DataArray, x: DataArray, g: ConvGeom): DataArray;
}

/** A convCore problem: input packed as [C][N][Hq][Wq], weights [K][C][kh][kw]. */
interface Core {
  N: number; C: number; K: number; Hq: number; Wq: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  OH: number; OW: number;
}

/** Weights [K][C][kh][kw] -> [K4][C][kh][kw][4] (4 output channels interleaved, zero-padded). */
function interleaveWeights(w: ArrayLike<number>, K: number, CKK: number): Float32Array {
  const out = new Float32Array(roundUp(K, 4) * CKK);
  for (let k = 0; k < K; k++) {
    const base = Math.floor(k / 4) * CKK * 4 + (k % 4);
    for (let t = 0; t < CKK; t++) out[base + t * 4] = w[k * CKK + t]!;
  }
  return out;
}

function coreSource(p: Core, plane: number): string {
  const KK4 = p.kh * p.kw * 4;
  const X = `this.thread.y * ${p.sh * p.Wq} + this.thread.x * ${p.sw} + (cx | 0)`;
  const Wz = `this.thread.z * ${p.C * KK4} + (cw | 0)`;
  let taps = '';
  for (let i = 0; i < p.kh; i++)
    for (let j = 0; j < p.kw; j++) {
      const t = (i * p.kw + j) * 4;
      taps += `v = x[${X} + ${i * p.dh * p.Wq + j * p.dw}];
      a0 += v * w[${Wz} + ${t}]; a1 += v * w[${Wz} + ${t + 1}]; a2 += v * w[${Wz} + ${t + 2}]; a3 += v * w[${Wz} + ${t + 3}];\n`;
    }
  return `function (x, w) {
  let a0 = 0.0; let a1 = 0.0; let a2 = 0.0; let a3 = 0.0; let v = 0.0;
  for (let c = 0; c < ${p.C}; c++) {
    const cx = c * ${plane}; const cw = c * ${KK4};
    ${taps}
  }
  return [a0, a1, a2, a3];
}`;
}

/** Rows per image in thread.y (OH valid, the rest discarded) for a packed height Hq. */
const rowsPerImage = (p: Core): number => p.Hq / p.sh;

/** Zeros after the last plane so that discarded threads read inside the buffer. */
const coreTail = (p: Core): number => ((p.kh - 1) * p.dh + p.sh + 1) * p.Wq + roundUp(p.OW, 4) * p.sw + (p.kw - 1) * p.dw + 4;

/** convCore on packed input (one batch chunk); w is interleaved; returns [N,K,OH,OW] (+bias). */
function* convCore(P: Float32Array, wi: Float32Array, b: ArrayLike<number> | null, p: Core): Program<Float32Array> {
  const Q = rowsPerImage(p);
  const OWq = roundUp(p.OW, 4);
  const K4 = roundUp(p.K, 4) / 4;
  const r = yield { source: coreSource(p, p.N * p.Hq * p.Wq), output: [OWq, p.N * Q, K4], args: [P, wi], components: 4, cost: OWq * p.N * Q * K4 * 4 * p.C * p.kh * p.kw };
  const { N, K, OH, OW } = p;
  const out = new Float32Array(N * K * OH * OW);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++) {
      const bias = b ? b[k]! : 0;
      const q = k % 4;
      const kb = (k - q) / 4;
      for (let oy = 0; oy < OH; oy++) {
        const src = ((kb * N * Q + n * Q + oy) * OWq) * 4 + q;
        const dst = ((n * K + k) * OH + oy) * OW;
        for (let ox = 0; ox < OW; ox++) out[dst + ox] = r[src + ox * 4]! + bias;
      }
    }
  return out;
}

/** Run `perChunk` over batch chunks that keep packed sizes f32-exact; concatenates along N. */
function* overBatch(N: number, imageSize: number, perImage: number, fixed: number, perChunk: (n0: number, n1: number) => Program<Float32Array>): Program<Float32Array> {
  const chunks = batchChunks(N, perImage, fixed);
  if (chunks.length === 1) return yield* perChunk(0, N);
  const out = new Float32Array(N * imageSize);
  for (const [n0, n1] of chunks) out.set(yield* perChunk(n0, n1), n0 * imageSize);
  return out;
}

function forwardCore(g: ConvGeom, N: number): Core {
  const Q = Math.ceil((g.H + 2 * g.ph) / g.sh);
  return { N, C: g.C, K: g.K, Hq: Q * g.sh, Wq: g.W + 2 * g.pw, kh: g.kh, kw: g.kw, sh: g.sh, sw: g.sw, dh: g.dh, dw: g.dw, OH: g.OH, OW: g.OW };
}

function packForward(x: DataArray, g: ConvGeom, p: Core, n0: number): Float32Array {
  const img = g.C * g.H * g.W;
  return packPlanes(f32(x).subarray(n0 * img, (n0 + p.N) * img), { N: p.N, C: g.C, H: g.H, W: g.W, offY: g.ph, offX: g.pw, stepY: 1, stepX: 1, Hq: p.Hq, Wq: p.Wq, tail: coreTail(p) });
}

export function* conv2dForwardProgram(x: DataArray, w: DataArray, b: DataArray | null, g: ConvGeom): Program<Float32Array> {
  const one = forwardCore(g, 1);
  const wi = interleaveWeights(w, g.K, g.C * g.kh * g.kw);
  return yield* overBatch(g.N, g.K * g.OH * g.OW, g.C * one.Hq * one.Wq, coreTail(one), function* (n0, n1) {
    const p = forwardCore(g, n1 - n0);
    return yield* convCore(packForward(x, g, p, n0), wi, b, p);
  });
}

export function* conv2dBackwardInputProgram(gy: DataArray, w: DataArray, g: ConvGeom): Program<Float32Array> {
  // Transposed conv: zero-insert gy by the stride, pad by (k-1)*d - p, correlate with the
  // flipped weights with input and output channels swapped.
  const offY = (g.kh - 1) * g.dh - g.ph;
  const offX = (g.kw - 1) * g.dw - g.pw;
  const core = (N: number): Core => ({
    N, C: g.K, K: g.C, Hq: g.H + (g.kh - 1) * g.dh, Wq: g.W + (g.kw - 1) * g.dw,
    kh: g.kh, kw: g.kw, sh: 1, sw: 1, dh: g.dh, dw: g.dw, OH: g.H, OW: g.W,
  });
  const flipped = new Float32Array(w.length);
  const KK = g.kh * g.kw;
  for (let k = 0; k < g.K; k++)
    for (let c = 0; c < g.C; c++)
      for (let t = 0; t < KK; t++) flipped[(c * g.K + k) * KK + (KK - 1 - t)] = w[(k * g.C + c) * KK + t]!;
  const wi = interleaveWeights(flipped, g.C, g.K * KK);
  const one = core(1);
  const img = g.K * g.OH * g.OW;
  return yield* overBatch(g.N, g.C * g.H * g.W, g.K * one.Hq * one.Wq, coreTail(one), function* (n0, n1) {
    const p = core(n1 - n0);
    const src = f32(gy).subarray(n0 * img, n1 * img);
    const P = packPlanes(src, { N: p.N, C: g.K, H: g.OH, W: g.OW, offY, offX, stepY: g.sh, stepX: g.sw, Hq: p.Hq, Wq: p.Wq, tail: coreTail(p) });
    return yield* convCore(P, wi, null, p);
  });
}

function weightGradSource(p: Core, plane: number): string {
  const { N, OH, OW, sh, sw, Wq, Hq } = p;
  const gz = N * OH * OW * 4;
  // Each output row is walked in unrolled blocks of U pixels with literal offsets, so the
  // only per-pixel index work is one int32 add per load.
  const U = Math.min(OW, 16);
  const blocks = Math.floor(OW / U);
  const taps = (from: number, to: number, off: number): string => {
    let s = '';
    for (let ox = from; ox < to; ox++)
      s += `v = x[this.thread.x * ${plane} + (rp | 0) + ${(ox - off) * sw}];
        ${[0, 1, 2, 3].map((q) => `a${q} += v * g[this.thread.z * ${gz} + (rg | 0) + ${(ox - off) * 4 + q}];`).join(' ')}\n`;
    return s;
  };
  return `function (x, g, tap) {
  let a0 = 0.0; let a1 = 0.0; let a2 = 0.0; let a3 = 0.0; let v = 0.0; let rp = 0.0; let rg = 0.0;
  const t = tap[this.thread.y];
  for (let n = 0; n < ${N}; n++) {
    for (let oy = 0; oy < ${OH}; oy++) {
      for (let b = 0; b < ${blocks}; b++) {
        rp = t + n * ${Hq * Wq} + oy * ${sh * Wq} + b * ${U * sw};
        rg = (n * ${OH} + oy) * ${OW * 4} + b * ${U * 4};
        ${taps(0, U, 0)}
      }
      rp = t + n * ${Hq * Wq} + oy * ${sh * Wq} + ${blocks * U * sw};
      rg = (n * ${OH} + oy) * ${OW * 4} + ${blocks * U * 4};
      ${taps(blocks * U, OW, blocks * U)}
    }
  }
  return [a0, a1, a2, a3];
}`;
}

/** gy [N,K,OH,OW] -> [K4][N][OH][OW][4] (4 output channels interleaved). */
function interleaveGrad(gy: ArrayLike<number>, N: number, K: number, plane: number): Float32Array {
  const K4 = roundUp(K, 4) / 4;
  const out = new Float32Array(K4 * N * plane * 4);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++) {
      const q = k % 4;
      const d = (((k - q) / 4) * N + n) * plane * 4 + q;
      const s = (n * K + k) * plane;
      for (let i = 0; i < plane; i++) out[d + i * 4] = gy[s + i]!;
    }
  return out;
}

export function* conv2dBackwardWeightProgram(gy: DataArray, x: DataArray, g: ConvGeom): Program<Float32Array> {
  const KK = g.kh * g.kw;
  const Cq = roundUp(g.C, 4);
  const K4 = roundUp(g.K, 4) / 4;
  const gw = new Float32Array(g.K * g.C * KK);
  const one = forwardCore(g, 1);
  const perImage = Math.max(Cq * one.Hq * one.Wq, g.OH * g.OW * 4 * K4);
  for (const [n0, n1] of batchChunks(g.N, perImage, coreTail(one))) {
    const p = forwardCore(g, n1 - n0);
    const plane = p.N * p.Hq * p.Wq;
    // Channels padded to a multiple of 4 (lanes); padded channels read zeros.
    const P = packForward(x, g, p, n0);
    const Pq = new Float32Array(Cq * plane + coreTail(p));
    Pq.set(P.subarray(0, g.C * plane));
    const img = g.K * g.OH * g.OW;
    const G = interleaveGrad(f32(gy).subarray(n0 * img, n1 * img), p.N, g.K, g.OH * g.OW);
    const tap = new Float32Array(KK);
    for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++) tap[i * g.kw + j] = i * g.dh * p.Wq + j * g.dw;
    const r = yield { source: weightGradSource(p, plane), output: [Cq, KK, K4], args: [Pq, G, tap], components: 4, cost: Cq * KK * K4 * 4 * p.N * g.OH * g.OW };
    for (let k = 0; k < g.K; k++)
      for (let c = 0; c < g.C; c++)
        for (let t = 0; t < KK; t++) gw[(k * g.C + c) * KK + t] += r[(((k >> 2) * KK + t) * Cq + c) * 4 + (k & 3)]!;
  }
  return gw;
}

/** Whether one image fits the f32-exact index range (else the reference path runs). */
export function convFits(g: ConvGeom): boolean {
  const one = forwardCore(g, 1);
  const back = (g.H + (g.kh - 1) * g.dh) * (g.W + (g.kw - 1) * g.dw) * g.K;
  return Math.max(roundUp(g.C, 4) * one.Hq * one.Wq + coreTail(one), back, g.OH * g.OW * roundUp(g.K, 4)) < F32_EXACT / 2;
}

export function convKernels(mode: GpuMode): ConvKernels {
  return {
    forward: (x, w, b, g) => runSync(mode, conv2dForwardProgram(x, w, b, g)),
    backwardInput: (gy, w, g) => runSync(mode, conv2dBackwardInputProgram(gy, w, g)),
    backwardWeight: (gy, x, g) => runSync(mode, conv2dBackwardWeightProgram(gy, x, g)),
  };
}
