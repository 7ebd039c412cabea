/**
 * Per-axis source taps of the resize ops, computed once on the host and shared by the
 * reference loops and the kernels (so both interpolate with identical coordinates).
 * Conventions follow PyTorch's F.interpolate.
 */

/** Linear taps: output index o reads lo[o] with weight 1-t[o] and hi[o] with weight t[o]. */
export interface LinearTaps {
  lo: Int32Array;
  hi: Int32Array;
  t: Float64Array;
}

export function linearTaps(inSize: number, outSize: number, alignCorners: boolean): LinearTaps {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const t = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = alignCorners
      ? outSize > 1 ? (o * (inSize - 1)) / (outSize - 1) : 0
      : Math.max(0, ((o + 0.5) * inSize) / outSize - 0.5);
    const l = Math.min(Math.floor(src), inSize - 1);
    lo[o] = l;
    hi[o] = Math.min(l + 1, inSize - 1);
    t[o] = src - l;
  }
  return { lo, hi, t };
}

/** Nearest taps ('nearest' mode): floor(o * in / out). */
export function nearestTaps(inSize: number, outSize: number): Int32Array {
  const src = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) src[o] = Math.min(Math.floor((o * inSize) / outSize), inSize - 1);
  return src;
}
