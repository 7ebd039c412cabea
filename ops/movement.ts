/**
 * Movement ops: reshape, permute, slice, concat, pad, and composites built on them. Broadcasting
 * (`expand`) sits one level up in ./broadcast.ts with its gradient, `sum`.
 */
import { apply } from '../lib/core/autograd.js';
import { defineRules, type PadMode } from '../lib/core/primitives.js';
import { allocate, type DataArray } from '../lib/core/precision.js';
import { assertShape, normalizeAxes, sameShape, shapeStr, sizeOf, stridesOf } from '../lib/core/shape.js';
import { Tensor } from '../lib/core/tensor.js';
import { gather } from './strided.js';

type MovementPrimitive = 'reshape' | 'permute' | 'slice' | 'concat' | 'pad';

/** For each axis: output index -> source index, or -1 for a constant-padded position. */
function padIndexMaps(shape: readonly number[], pads: Array<[number, number]>, mode: PadMode): Int32Array[] {
  return shape.map((n, k) => {
    const [before, after] = pads[k]!;
    const map = new Int32Array(before + n + after);
    for (let o = 0; o < map.length; o++) {
      const s = o - before;
      map[o] = s >= 0 && s < n ? s : mode === 'replicate' ? Math.min(n - 1, Math.max(0, s)) : -1;
    }
    return map;
  });
}

/** Walk every output position of a pad, calling visit(outIndex, srcIndex | -1). */
function forEachPadded(x: Tensor, maps: Int32Array[], visit: (o: number, s: number) => void): void {
  const strides = stridesOf(x.shape);
  const outShape = maps.map((m) => m.length);
  const n = sizeOf(outShape);
  const coord = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < n; o++) {
    let s = 0;
    for (let k = 0; k < coord.length; k++) {
      const src = maps[k]![coord[k]!]!;
      if (src < 0) {
        s = -1;
        break;
      }
      s += src * strides[k]!;
    }
    visit(o, s);
    for (let k = coord.length - 1; k >= 0; k--) {
      if (++coord[k]! < outShape[k]!) break;
      coord[k] = 0;
    }
  }
}

/**
 * Constant padding as one fill and one contiguous copy per innermost row (the general
 * per-element walk costs ~50x more; slice's gradient is this pad).
 */
function padConstant(x: Tensor, pads: Array<[number, number]>, value: number): { data: DataArray; shape: number[] } {
  const shape = x.shape.map((d, k) => d + pads[k]![0] + pads[k]![1]);
  const out = allocate(sizeOf(shape));
  if (value !== 0) out.fill(value);
  const nd = x.ndim;
  if (x.size === 0 || nd === 0) {
    if (x.size === 1) out[0] = x.data[0]!;
    return { data: out, shape };
  }
  const strides = stridesOf(shape);
  const row = x.shape[nd - 1]!;
  const coord = new Array<number>(nd).fill(0);
  let at = pads.reduce((o, [before], k) => o + before * strides[k]!, 0);
  for (let src = 0; src < x.size; src += row) {
    out.set(x.data.subarray(src, src + row), at);
    for (let k = nd - 2; k >= 0; k--) {
      at += strides[k]!;
      if (++coord[k]! < x.shape[k]!) break;
      at -= coord[k]! * strides[k]!;
      coord[k] = 0;
    }
  }
  return { data: out, shape };
}

export const movementRules = defineRules<MovementPrimitive>({
  reshape: {
    // Shares the buffer: tensors are never mutated in place by ops.
    forward: ([x], { shape }) => ({ data: x!.data, shape }),
    vjp: (g, [x]) => [reshape(g, x!.shape)],
  },
  permute: {
    forward: ([x], { perm }) => {
      const strides = stridesOf(x!.shape);
      const shape = perm.map((p) => x!.shape[p]!);
      return { data: gather(x!.data, shape, perm.map((p) => strides[p]!)), shape };
    },
    vjp: (g, _, __, { perm }) => {
      const inverse = new Array<number>(perm.length);
      perm.forEach((p, i) => (inverse[p] = i));
      return [permute(g, inverse)];
    },
  },
  slice: {
    forward: ([x], { axis, start, end }) => {
      const strides = stridesOf(x!.shape);
      const shape = x!.shape.map((d, i) => (i === axis ? end - start : d));
      return { data: gather(x!.data, shape, strides, start * strides[axis]!), shape };
    },
    vjp: (g, [x], _, { axis, start, end }) => {
      const pads = x!.shape.map((d, i): [number, number] => (i === axis ? [start, d - end] : [0, 0]));
      return [pad(g, pads)];
    },
  },
  concat: {
    forward: (xs, { axis }) => {
      const shape = [...xs[0]!.shape];
      shape[axis] = xs.reduce((n, t) => n + t.shape[axis]!, 0);
      const out = allocate(sizeOf(shape));
      const outer = sizeOf(shape.slice(0, axis));
      const rowOut = sizeOf(shape.slice(axis));
      let colStart = 0;
      for (const t of xs) {
        const row = sizeOf(t.shape.slice(axis));
        for (let o = 0; o < outer; o++) out.set(t.data.subarray(o * row, (o + 1) * row), o * rowOut + colStart);
        colStart += row;
      }
      return { data: out, shape };
    },
    vjp: (g, xs, _, { axis }) => {
      let start = 0;
      return xs.map((t) => {
        const end = start + t.shape[axis]!;
        const piece = slice(g, axis, start, end);
        start = end;
        return piece;
      });
    },
  },
  pad: {
    forward: ([x], { pads, mode, value }) => {
      if (mode === 'constant') return padConstant(x!, pads, value);
      const maps = padIndexMaps(x!.shape, pads, mode);
      const out = allocate(sizeOf(maps.map((m) => m.length)));
      const src = x!.data;
      forEachPadded(x!, maps, (o, s) => (out[o] = s < 0 ? value : src[s]!));
      return { data: out, shape: maps.map((m) => m.length) };
    },
    vjp: (g, [x], _, { pads, mode }) => {
      if (mode === 'constant') {
        let r = g;
        x!.shape.forEach((d, i) => (r = slice(r, i, pads[i]![0], pads[i]![0] + d)));
        return [r];
      }
      // Replicate: every output position sends its gradient back to the source it copied.
      const gx = allocate(x!.size);
      forEachPadded(x!, padIndexMaps(x!.shape, pads, mode), (o, s) => (gx[s] += g.data[o]!));
      return [new Tensor(gx, x!.shape)];
    },
  },
});

/** Reshape (one axis may be -1). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.reduce((n, d) => (d === -1 ? n : n * d), 1);
  const full = shape.map((d) => (d === -1 ? x.size / known : d));
  assertShape(
    shape.filter((d) => d === -1).length <= 1 && sizeOf(full) === x.size && full.every(Number.isInteger),
    'reshape',
    `cannot reshape ${shapeStr(x.shape)} to ${shapeStr(shape)}`,
  );
  return sameShape(full, x.shape) ? x : apply(movementRules.reshape, [x], { shape: full });
}

/** Reorder axes: output axis i is input axis perm[i] (negative axes allowed); ShapeError unless perm is a permutation. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const p = normalizeAxes('permute', perm, x.ndim);
  assertShape(perm.length === x.ndim && p.length === x.ndim, 'permute', `${shapeStr(perm)} is not a permutation of ${x.ndim} axes`);
  const norm = perm.map((a) => (a < 0 ? a + x.ndim : a));
  return norm.every((a, i) => a === i) ? x : apply(movementRules.permute, [x], { perm: norm });
}

/** Swap two axes. */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const ax = [a, b].map((v) => (v < 0 ? v + x.ndim : v));
  assertShape(ax.every((v) => v >= 0 && v < x.ndim), 'transpose', `axes ${a},${b} out of range for ${shapeStr(x.shape)}`);
  const perm = Array.from({ length: x.ndim }, (_, i) => i);
  [perm[ax[0]!], perm[ax[1]!]] = [perm[ax[1]!]!, perm[ax[0]!]!];
  return permute(x, perm);
}

/** Elements [start, end) along an axis. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const [a] = normalizeAxes('slice', axis, x.ndim);
  const n = x.shape[a!]!;
  assertShape(0 <= start && start <= end && end <= n, 'slice', `range [${start},${end}) out of bounds for axis ${a} of ${shapeStr(x.shape)}`);
  return start === 0 && end === n ? x : apply(movementRules.slice, [x], { axis: a!, start, end });
}

/** Join tensors along `axis` (default 0); all shapes must match on the other axes (ShapeError otherwise, or for an empty list). */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  assertShape(xs.length > 0, 'concat', 'needs at least one tensor');
  const [a] = normalizeAxes('concat', axis, xs[0]!.ndim);
  const ref = xs[0]!.shape;
  assertShape(
    xs.every((t) => t.ndim === ref.length && t.shape.every((d, i) => i === a || d === ref[i])),
    'concat',
    `shapes ${xs.map((t) => shapeStr(t.shape)).join(', ')} differ outside axis ${a}`,
  );
  return xs.length === 1 ? xs[0]! : apply(movementRules.concat, [...xs], { axis: a! });
}

/** Options of pad: `mode` (default constant) and the constant `value` (default 0). */
export interface PadOptions {
  mode?: PadMode;
  value?: number;
}

/** Pad each axis by [before, after] (missing leading axes get no padding). */
export function pad(x: Tensor, pads: ReadonlyArray<readonly [number, number]>, opts: PadOptions = {}): Tensor {
  assertShape(pads.length <= x.ndim, 'pad', `${pads.length} pad pairs for a ${x.ndim}-d tensor`);
  const full = [...new Array(x.ndim - pads.length).fill([0, 0]), ...pads].map(([b, e]): [number, number] => [b, e]);
  assertShape(full.every(([b, e]) => Number.isInteger(b) && Number.isInteger(e) && b >= 0 && e >= 0), 'pad', 'pads must be non-negative integers');
  const mode = opts.mode ?? 'constant';
  assertShape(mode === 'constant' || x.shape.every((d, i) => d > 0 || full[i]!.every((p) => p === 0)), 'pad', 'replicate needs non-empty axes');
  return full.every(([b, e]) => b === 0 && e === 0) ? x : apply(movementRules.pad, [x], { pads: full, mode, value: opts.value ?? 0 });
}

/** Merge the axes from `startAxis` (default 1) on into one: [N,C,H,W] -> [N,C*H*W]. */
export function flatten(x: Tensor, startAxis = 1): Tensor {
  return reshape(x, [...x.shape.slice(0, startAxis), -1]);
}

/** Insert a size-1 axis at `axis` of the result (negative counts from its end): [C,H,W], 0 -> [1,C,H,W]. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = axis < 0 ? axis + x.ndim + 1 : axis;
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** Remove the size-1 axis `axis`; ShapeError when that axis is not 1. */
export function squeeze(x: Tensor, axis: number): Tensor {
  const [a] = normalizeAxes('squeeze', axis, x.ndim);
  assertShape(x.shape[a!] === 1, 'squeeze', `axis ${a} of ${shapeStr(x.shape)} is not 1`);
  return reshape(x, x.shape.filter((_, i) => i !== a));
}
