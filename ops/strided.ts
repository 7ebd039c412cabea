/**
 * Strided loops shared by the movement and reduction ops. An "odometer" walks the output
 * in row-major order while keeping a running source offset, so no index is divided.
 */
import { allocate, type DataArray } from '../lib/core/precision.js';
import { sizeOf } from '../lib/core/shape.js';

/** out[i] = src[offset + sum_k coord_k(i) * srcStrides[k]] for every i in outShape. */
export function gather(src: DataArray, outShape: readonly number[], srcStrides: readonly number[], offset = 0): DataArray {
  const n = sizeOf(outShape);
  const out = allocate(n);
  const nd = outShape.length;
  if (nd === 0) {
    if (n === 1) out[0] = src[offset]!;
    return out;
  }
  const coord = new Array<number>(nd).fill(0);
  const last = nd - 1;
  const lastLen = outShape[last]!;
  const lastStride = srcStrides[last]!;
  let o = 0;
  let base = offset;
  while (o < n) {
    // inner axis as a tight loop
    for (let j = 0, s = base; j < lastLen; j++, s += lastStride) out[o++] = src[s]!;
    // carry into outer axes
    let k = last - 1;
    for (; k >= 0; k--) {
      coord[k]!++;
      base += srcStrides[k]!;
      if (coord[k]! < outShape[k]!) break;
      base -= coord[k]! * srcStrides[k]!;
      coord[k] = 0;
    }
    if (k < 0) break;
  }
  return out;
}

/**
 * Accumulate src (shape srcShape) into an output whose strides per source axis are
 * outStrides (0 along reduced axes): out[sum coord_k * outStrides[k]] (+)= src[i].
 */
export function scatterReduce(
  src: DataArray,
  srcShape: readonly number[],
  outStrides: readonly number[],
  outSize: number,
  mode: 'sum' | 'max',
): DataArray {
  const out = allocate(outSize);
  if (mode === 'max') out.fill(-Infinity);
  const n = src.length;
  const nd = srcShape.length;
  if (nd === 0) {
    if (n === 1) out[0] = src[0]!;
    return out;
  }
  const coord = new Array<number>(nd).fill(0);
  const last = nd - 1;
  const lastLen = srcShape[last]!;
  const lastStride = outStrides[last]!;
  let i = 0;
  let base = 0;
  while (i < n) {
    if (lastStride === 0) {
      // The innermost axis is reduced: fold the row in a local (a store per element into the
      // same output slot is a memory round trip each time, about 30x slower).
      if (mode === 'sum') {
        let acc = 0;
        for (let j = 0; j < lastLen; j++) acc += src[i++]!;
        out[base] += acc;
      } else {
        let best = out[base]!;
        for (let j = 0; j < lastLen; j++) {
          const v = src[i++]!;
          if (v > best || Number.isNaN(v)) best = v;
        }
        out[base] = best;
      }
    } else if (mode === 'sum') for (let j = 0, o = base; j < lastLen; j++, o += lastStride) out[o] += src[i++]!;
    else
      for (let j = 0, o = base; j < lastLen; j++, o += lastStride) {
        const v = src[i++]!;
        if (v > out[o]! || Number.isNaN(v)) out[o] = v;
      }
    let k = last - 1;
    for (; k >= 0; k--) {
      coord[k]!++;
      base += outStrides[k]!;
      if (coord[k]! < srcShape[k]!) break;
      base -= coord[k]! * outStrides[k]!;
      coord[k] = 0;
    }
    if (k < 0) break;
  }
  return out;
}
