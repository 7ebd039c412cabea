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

/** Unpack launch rows [row0, row1) (`r` holds exactly those rows) into `out`. Channel by
 * channel, so the writes run along output rows (measured faster than row by row, which
 * scatters every write across channel planes). */
export function unpackRows(u: CoreUnpack, r: Float32Array, row0: number, row1: number, out: Float32Array): void {
  const { K, OH, OW, XB, Kp, bias } = u;
  const per = Kp * 4;
  const full = OW >> 2; // blocks of 4 x inside the row
  for (let k = 0; k < K; k++) {
    const b = bias ? bias[k]! : 0;
    for (let row = row0; row < row1; ) {
      const nOy = Math.floor(row / XB);
      const n = Math.floor(nOy / OH);
      const oy = nOy - n * OH;
      const xb0 = row - nOy * XB;
      const xb1 = Math.min(XB, xb0 + row1 - row);
      let s = (row - row0) * per + k * 4;
      let d = ((n * K + k) * OH + oy) * OW + xb0 * 4;
      for (let xb = xb0; xb < xb1; xb++, s += per, d += 4) {
        if (xb < full) {
          out[d] = r[s]! + b; out[d + 1] = r[s + 1]! + b; out[d + 2] = r[s + 2]! + b; out[d + 3] = r[s + 3]! + b;
        } else for (let m = 0; m < OW - xb * 4; m++) out[d + m] = r[s + m]! + b;
      }
      row += xb1 - xb0;
    }
  }
}
