/** Shape helpers shared by every op. Errors name the op and the shapes involved. */
export type Shape = readonly number[];

export function shapeStr(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides: the distance between neighbours along each axis. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Thrown by ops on incompatible shapes, axes or sizes; the message names the op and the shapes. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

export function assertShape(ok: boolean, op: string, detail: string): asserts ok {
  if (!ok) throw new ShapeError(`${op}: ${detail}`);
}

/** Numpy broadcasting of two shapes (trailing axes aligned; 1 stretches). */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    assertShape(da === db || da === 1 || db === 1, op, `shapes ${shapeStr(a)} and ${shapeStr(b)} cannot broadcast`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalise (possibly negative) axes; undefined means every axis. Sorted, unique. */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined, ndim: number): number[] {
  if (axes === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((a) => {
    assertShape(Number.isInteger(a) && a >= -ndim && a < ndim, op, `axis ${a} out of range for ${ndim}-d tensor`);
    return a < 0 ? a + ndim : a;
  });
  return [...new Set(out)].sort((x, y) => x - y);
}
