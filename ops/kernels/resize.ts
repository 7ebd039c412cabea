/**
 * gpu.js resize kernels. Every resize and its gradient is a separable weighted gather (two
 * launches: along x, then along y):
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

/**
 * out [planes, OH, OW] from in [planes, IH, IW] through the two axis tables, in two passes:
 * every input row resampled along x (row r = sum_q wx[ox,q] in[p, r, ix[ox,q]]), then those
 * rows mixed along y (out = sum_r wy[oy,r] row[p, iy[oy,r], ox]). The same float32 operations
 * in the same order as one pass that recomputes each row for every output row reading it; the
 * second pass reads whole rows (single wide loads on webasm).
 */
function* separableGather(x: Float32Array, planes: number, IH: number, IW: number, ty: AxisTable, tx: AxisTable): Program<Float32Array> {
  const OH = ty.idx.length / ty.R;
  const OW = tx.idx.length / tx.R;
  let rowBody = '';
  for (let q = 0; q < tx.R; q++)
    rowBody += `row += xw[this.thread.x * ${tx.R} + ${q}] * x[rb + (xi[this.thread.x * ${tx.R} + ${q}] | 0)];\n`;
  const rows = yield {
    source: `function (x, xi, xw) {
  const rb = this.thread.z * ${IH * IW} + this.thread.y * ${IW};
  let row = 0.0;
  ${rowBody}
  return row;
}`,
    output: [OW, IH, planes], args: [x, tx.idx, tx.w], components: 1, cost: OW * IH * planes * tx.R,
  };
  let body = '';
  for (let r = 0; r < ty.R; r++)
    body += `acc += yw[this.thread.y * ${ty.R} + ${r}] * rows[pb + (yi[this.thread.y * ${ty.R} + ${r}] | 0) * ${OW} + this.thread.x];\n`;
  return yield {
    source: `function (rows, yi, yw) {
  const pb = this.thread.z * ${IH * OW};
  let acc = 0.0;
  ${body}
  return acc;
}`,
    output: [OW, OH, planes], args: [rows, ty.idx, ty.w], components: 1, cost: OW * OH * planes * ty.R,
  };
}

export function resizeFits(g: ResizeGeom): boolean {
  // the intermediate rows hold planes * max(H, OH) * max(W, OW) values at most (forward or backward)
  return g.planes * Math.max(g.H, g.OH) * Math.max(g.W, g.OW) < F32_EXACT / 2;
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
