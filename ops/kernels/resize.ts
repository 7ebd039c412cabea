/**
 * gpu.js resize kernels. Every resize and its gradient is one separable weighted gather:
 *   out[p, oy, ox] = sum_{r<RY} sum_{q<RX} wy[oy,r] * wx[ox,q] * in[p, iy[oy,r], ix[ox,q]]
 * with per-axis tables built on the host: two taps for the bilinear forward, one for
 * nearest, and the transposed taps (every output that read a pixel) for the backward.
 */
import type { DataArray } from '../../lib/core/precision.js';
import type { ResizeGeom } from '../reference/resize.js';
import type { LinearTaps } from '../resize-taps.js';
import type { GpuMode } from './gpu.js';
import { F32_EXACT, f32, type Program } from './program.js';
import { runSync } from './run.js';

export interface ResizeKernels {
  bilinear(x: DataArray, g: ResizeGeom, ty: LinearTaps, tx: LinearTaps): DataArray;
  bilinearBackward(gy: DataArray, g: ResizeGeom, ty: LinearTaps, tx: LinearTaps): DataArray;
  nearest(x: DataArray, g: ResizeGeom, sy: Int32Array, sx: Int32Array): DataArray;
}

/** Per-output-index source taps: R taps each (zero weights pad short rows). */
interface AxisTable {
  R: number;
  idx: Float32Array;
  w: Float32Array;
}

/** Taps as a sparse matrix row per output index: pairs (source, weight), duplicates merged. */
type Rows = Array<Map<number, number>>;

function toTable(rows: Rows): AxisTable {
  const R = Math.max(1, ...rows.map((m) => m.size));
  const idx = new Float32Array(rows.length * R);
  const w = new Float32Array(rows.length * R);
  rows.forEach((m, o) => {
    let r = 0;
    for (const [i, v] of m) {
      idx[o * R + r] = i;
      w[o * R + r++] = v;
    }
  });
  return { R, idx, w };
}

function linearRows(t: LinearTaps): Rows {
  return Array.from(t.lo, (lo, o) => {
    const m = new Map<number, number>([[lo, 1 - t.t[o]!]]);
    m.set(t.hi[o]!, (m.get(t.hi[o]!) ?? 0) + t.t[o]!);
    return m;
  });
}

/** The transposed taps: for each input index, every (output index, weight) that read it. */
function transpose(rows: Rows, inSize: number): Rows {
  const out: Rows = Array.from({ length: inSize }, () => new Map());
  rows.forEach((m, o) => m.forEach((v, i) => out[i]!.set(o, v)));
  return out;
}

/** out [planes, OH, OW] from in [planes, IH, IW] through the two axis tables. */
function* separableGather(x: Float32Array, planes: number, IH: number, IW: number, ty: AxisTable, tx: AxisTable): Program<Float32Array> {
  const OH = ty.idx.length / ty.R;
  const OW = tx.idx.length / tx.R;
  let body = '';
  for (let r = 0; r < ty.R; r++) {
    body += `row = 0.0; sy = yi[this.thread.y * ${ty.R} + ${r}] * ${IW};\n`;
    for (let q = 0; q < tx.R; q++)
      body += `row += xw[this.thread.x * ${tx.R} + ${q}] * x[this.thread.z * ${IH * IW} + (sy | 0) + (xi[this.thread.x * ${tx.R} + ${q}] | 0)];\n`;
    body += `acc += yw[this.thread.y * ${ty.R} + ${r}] * row;\n`;
  }
  const source = `function (x, yi, yw, xi, xw) {
  let acc = 0.0; let row = 0.0; let sy = 0.0;
  ${body}
  return acc;
}`;
  return yield { source, output: [OW, OH, planes], args: [x, ty.idx, ty.w, tx.idx, tx.w], components: 1, cost: OW * OH * planes * ty.R * tx.R };
}

export function resizeFits(g: ResizeGeom): boolean {
  return g.planes * Math.max(g.H * g.W, g.OH * g.OW) < F32_EXACT / 2;
}

export function resizeKernels(mode: GpuMode): ResizeKernels {
  return {
    bilinear: (x, g, ty, tx) =>
      runSync(mode, separableGather(f32(x), g.planes, g.H, g.W, toTable(linearRows(ty)), toTable(linearRows(tx)))),
    bilinearBackward: (gy, g, ty, tx) =>
      runSync(mode, separableGather(f32(gy), g.planes, g.OH, g.OW, toTable(transpose(linearRows(ty), g.H)), toTable(transpose(linearRows(tx), g.W)))),
    nearest: (x, g, sy, sx) => {
      const rows = (s: Int32Array): Rows => Array.from(s, (i) => new Map([[i, 1]]));
      return runSync(mode, separableGather(f32(x), g.planes, g.H, g.W, toTable(rows(sy)), toTable(rows(sx))));
    },
  };
}
