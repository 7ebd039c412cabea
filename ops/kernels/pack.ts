/**
 * Host-side layouts that keep kernel index math in int32 and free of bounds checks.
 * `packPlanes` scatters an [N,C,H,W] tensor into channel-major [C][N][Hq][Wq] planes at an
 * offset, optionally with zeros inserted between pixels (for strided transposed convs);
 * everything else is `fill`. Images of the batch are stacked vertically, so a kernel can
 * walk all of them with one row index (thread.y) and one multiply.
 */
import { F32_EXACT, materialize, type ArgWriter } from './program.js';
import { stridedCopy, type Level } from './wasm-copy.js';

export interface PackSpec {
  N: number; C: number; H: number; W: number;
  /** Where source pixel (0,0) lands, and the step between source pixels. */
  offY: number; offX: number; stepY: number; stepX: number;
  /** Rows per image and row length of the packed planes. */
  Hq: number; Wq: number;
  /** Extra zeros after the last plane, so over-reads of discarded threads stay in bounds. */
  tail: number;
  fill?: number;
}

/** packPlanes as an argument writer: the planes go straight into the kernel's memory. */
export function planesWriter(src: ArrayLike<number>, p: PackSpec): ArgWriter {
  const { N, C, H, W, offY, offX, stepY, stepX, Hq, Wq } = p;
  const plane = N * Hq * Wq;
  // source columns that land inside [0, Wq)
  const x0 = Math.max(0, Math.ceil(-offX / stepX));
  const x1 = Math.max(x0, Math.min(W, Math.floor((Wq - 1 - offX) / stepX) + 1));
  const length = C * plane + p.tail;
  const fill = p.fill ?? 0;
  // Long rows copy with one memcpy each; short ones (the common 16-32 pixel feature maps)
  // element by element, since a typed-array call per row costs more than the row itself.
  // The padding is one fill over everything first: cheaper than filling around each row.
  const rowCopy = stepX === 1 && src instanceof Float32Array && x1 - x0 >= 64;
  // rows that land inside [0, Hq)
  const y0 = Math.max(0, Math.ceil(-offY / stepY));
  const y1 = Math.max(y0, Math.min(H, Math.floor((Hq - 1 - offY) / stepY) + 1));
  const copier = src instanceof Float32Array ? stridedCopy() : null;
  return {
    length,
    write(out, at) {
      if (copier !== null) {
        // the same placement as the loops below, in WebAssembly (wasm-copy.ts)
        const levels: [Level, Level, Level, Level] = [
          { count: N, src: C * H * W, dst: Hq * Wq }, { count: C, src: H * W, dst: plane },
          { count: y1 - y0, src: W, dst: stepY * Wq }, { count: x1 - x0, src: 1, dst: stepX },
        ];
        const from = copier.stage(src as Float32Array);
        copier.write(from, y0 * W + x0, levels, out, at, length, (y0 * stepY + offY) * Wq + x0 * stepX + offX, fill);
        return;
      }
      out.fill(fill, at, at + length);
      for (let n = 0; n < N; n++)
        for (let c = 0; c < C; c++) {
          const d0 = at + c * plane + n * Hq * Wq;
          for (let y = 0; y < H; y++) {
            const r = y * stepY + offY;
            if (r < 0 || r >= Hq) continue; // no pixel of this row lands
            const s = ((n * C + c) * H + y) * W;
            const d = d0 + r * Wq + offX;
            if (rowCopy) out.set((src as Float32Array).subarray(s + x0, s + x1), d + x0);
            else if (stepX === 1) for (let x = x0; x < x1; x++) out[d + x] = src[s + x]!;
            else for (let x = x0; x < x1; x++) out[d + x * stepX] = src[s + x]!;
          }
        }
    },
  };
}

export const packPlanes = (src: ArrayLike<number>, p: PackSpec): Float32Array => materialize(planesWriter(src, p));

/** Batch chunks [start, end) whose per-chunk size (perImage * n + fixed) stays f32-exact. */
export function batchChunks(N: number, perImage: number, fixed = 0): Array<[number, number]> {
  const per = Math.max(1, Math.floor((F32_EXACT - fixed) / Math.max(1, perImage)));
  const chunks: Array<[number, number]> = [];
  for (let s = 0; s < N; s += per) chunks.push([s, Math.min(N, s + per)]);
  return chunks;
}

/** [planes][H][W] -> [planes][H+2P][W+2P] with replicated borders (index clamping). */
export function padReplicate(src: ArrayLike<number>, planes: number, H: number, W: number, P: number): Float32Array {
  const Hp = H + 2 * P;
  const Wp = W + 2 * P;
  const out = new Float32Array(planes * Hp * Wp);
  for (let p = 0; p < planes; p++)
    for (let y = 0; y < Hp; y++) {
      const s = (p * H + Math.min(H - 1, Math.max(0, y - P))) * W;
      const d = (p * Hp + y) * Wp;
      for (let x = 0; x < Wp; x++) out[d + x] = src[s + Math.min(W - 1, Math.max(0, x - P))]!;
    }
  return out;
}
