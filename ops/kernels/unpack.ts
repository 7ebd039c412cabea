/**
 * Output layouts the drivers turn into the op's layout themselves, row range by row range,
 * so the thread pool unpacks in parallel (each thread its own launch rows, straight from
 * its module memory) instead of one thread unpacking the whole launch after it.
 * Described as data: a worker thread gets it by postMessage.
 */
import { stridedCopy, type Part, type StridedCopy } from './wasm-copy.js';

/** convCore's result [N*OH][XB][Kp/KB][KB][PX x] -> [N][K][OH][OW] (+ bias per channel):
 * thread x of a row holds channels x, x + Kp/KB, ... (KB blocks), PX output x each. */
export interface CoreUnpack {
  N: number; K: number; OH: number; OW: number;
  /** Blocks of PX output x per row, channels padded to a multiple of 4 KB, and channel
   * blocks per thread (conv.ts tileFor). */
  XB: number; Kp: number; PX: number; KB: number;
  bias: ArrayLike<number> | null;
}

/** Where channel k's PX floats start within a result row. */
const channelOffset = (u: CoreUnpack, k: number): number => {
  const Kx = u.Kp / u.KB;
  return ((k % Kx) * u.KB + Math.floor(k / Kx)) * u.PX;
};

export const unpackedSize = (u: CoreUnpack): number => u.N * u.K * u.OH * u.OW;

/** Unpack launch rows [row0, row1) (`r` holds exactly those rows) into `out`: without a
 * bias, the whole (image, output row) groups in WebAssembly (`unpackGroups`), the partial
 * ones at either end by the loop. */
export function unpackRows(u: CoreUnpack, r: Float32Array, row0: number, row1: number, out: Float32Array): void {
  const copier = u.bias === null && u.OW >= u.PX ? stridedCopy() : null;
  const per = u.Kp * u.PX;
  if (copier === null) return unpackRowsLoop(u, r, row0, row1, out);
  const g0 = Math.ceil(row0 / u.XB);
  const g1 = Math.max(g0, Math.floor(row1 / u.XB));
  if (g1 === g0) return unpackRowsLoop(u, r, row0, row1, out);
  if (row0 < g0 * u.XB) unpackRowsLoop(u, r.subarray(0, (g0 * u.XB - row0) * per), row0, g0 * u.XB, out);
  unpackGroups(copier, u, r.subarray((g0 * u.XB - row0) * per, (g1 * u.XB - row0) * per), g0, g1, out);
  if (g1 * u.XB < row1) unpackRowsLoop(u, r.subarray((g1 * u.XB - row0) * per), g1 * u.XB, row1, out);
}

/**
 * Whole groups [g0, g1) of XB rows (group = n * OH + oy) in WebAssembly (wasm-copy.ts): per
 * image, its output rows of every channel into one staging region laid out [K][rows][OW],
 * then one copy per channel into that channel's span of `out`. Only those spans are written
 * (threads unpack other rows of `out` at the same time). Bitwise the loop's values.
 */
function unpackGroups(copier: StridedCopy, u: CoreUnpack, r: Float32Array, g0: number, g1: number, out: Float32Array): void {
  const { K, OH, OW, XB, Kp, PX, KB } = u;
  const Kx = Kp / KB;
  const full = Math.floor(OW / PX);
  const from = copier.stage(r);
  for (let g = g0; g < g1; ) {
    const n = Math.floor(g / OH);
    const oy0 = g - n * OH;
    const rows = Math.min(g1 - g, OH - oy0);
    const span = rows * OW;
    const src0 = (g - g0) * XB * Kp * PX;
    // dst [k][oy][x]: x = PX xb + m; channel block h holds channels [h Kx, (h + 1) Kx)
    const parts: Part[] = [];
    for (let h = 0; h * Kx < K; h++) {
      const count = Math.min(Kx, K - h * Kx);
      const [s0, d0] = [src0 + h * PX, h * Kx * span];
      const kLevel = { count, src: KB * PX, dst: span };
      parts.push({ from, src0: s0, dst0: d0, levels: [kLevel, { count: rows, src: XB * Kp * PX, dst: OW }, { count: full, src: Kp * PX, dst: PX }, { count: PX, src: 1, dst: 1 }] });
      if (OW > PX * full)
        parts.push({
          from, src0: s0 + full * Kp * PX, dst0: d0 + PX * full,
          levels: [kLevel, { count: rows, src: XB * Kp * PX, dst: OW }, { count: 1, src: 0, dst: 0 }, { count: OW - PX * full, src: 1, dst: 1 }],
        });
    }
    const staging = copier.place(parts, K * span, 0);
    // a whole image's rows: its K channel planes are one contiguous span of `out`
    if (rows === OH) out.set(staging.subarray(0, K * span), n * K * span);
    else for (let k = 0; k < K; k++) out.set(staging.subarray(k * span, (k + 1) * span), ((n * K + k) * OH + oy0) * OW);
    g += rows;
  }
}

/** The loop: channel by channel, so the writes run along output rows (measured faster than
 * row by row, which scatters every write across channel planes). */
export function unpackRowsLoop(u: CoreUnpack, r: Float32Array, row0: number, row1: number, out: Float32Array): void {
  const { K, OH, OW, XB, Kp, PX, bias } = u;
  const per = Kp * PX;
  const full = Math.floor(OW / PX); // blocks of PX x inside the row
  for (let k = 0; k < K; k++) {
    const b = bias ? bias[k]! : 0;
    for (let row = row0; row < row1; ) {
      const nOy = Math.floor(row / XB);
      const n = Math.floor(nOy / OH);
      const oy = nOy - n * OH;
      const xb0 = row - nOy * XB;
      const xb1 = Math.min(XB, xb0 + row1 - row);
      let s = (row - row0) * per + channelOffset(u, k);
      let d = ((n * K + k) * OH + oy) * OW + xb0 * PX;
      for (let xb = xb0; xb < xb1; xb++, s += per, d += PX) {
        if (xb < full) for (let m = 0; m < PX; m++) out[d + m] = r[s + m]! + b;
        else for (let m = 0; m < OW - xb * PX; m++) out[d + m] = r[s + m]! + b;
      }
      row += xb1 - xb0;
    }
  }
}
