/**
 * Output layouts the drivers turn into the op's layout themselves, row range by row range,
 * so the thread pool unpacks in parallel (each thread its own launch rows, straight from
 * its module memory) instead of one thread unpacking the whole launch after it.
 * Described as data: a worker thread gets it by postMessage.
 */

/** convCore's result [N*OH][XB][Kp][4 x] -> [N][K][OH][OW] (+ bias per channel). */
export interface CoreUnpack {
  N: number; K: number; OH: number; OW: number;
  /** Blocks of 4 output x per row, and channels padded to a multiple of 4. */
  XB: number; Kp: number;
  bias: ArrayLike<number> | null;
}

export const unpackedSize = (u: CoreUnpack): number => u.N * u.K * u.OH * u.OW;

/** Unpack launch rows [row0, row1) (`r` holds exactly those rows) into `out`. */
export function unpackRows(u: CoreUnpack, r: Float32Array, row0: number, row1: number, out: Float32Array): void {
  const { K, OH, OW, XB, Kp, bias } = u;
  const per = Kp * 4;
  for (let row = row0; row < row1; row++) {
    const nOy = Math.floor(row / XB);
    const xb = row - nOy * XB;
    const n = Math.floor(nOy / OH);
    const oy = nOy - n * OH;
    const x0 = xb * 4;
    const m1 = Math.min(4, OW - x0);
    const src = (row - row0) * per;
    for (let k = 0; k < K; k++) {
      const b = bias ? bias[k]! : 0;
      const d = ((n * K + k) * OH + oy) * OW + x0;
      const s = src + k * 4;
      for (let m = 0; m < m1; m++) out[d + m] = r[s + m]! + b;
    }
  }
}
