/** PAMR geometry: the neighbour offsets (docs/method.md#pamr) and shape checks. */
import { assertShape, shapeStr } from '../lib/core/shape.js';

export interface PamrOptions {
  dilations?: number[];
  iterations?: number;
}

export const DEFAULT_DILATIONS = [1, 2, 4, 8, 12, 24];
export const DEFAULT_ITERATIONS = 10;

/** The J = 8|D| offsets: per dilation, {-d,0,d}^2 minus (0,0) in row-major order. */
export function pamrOffsets(dilations: readonly number[]): { dy: Int32Array; dx: Int32Array } {
  const dy: number[] = [];
  const dx: number[] = [];
  for (const d of dilations)
    for (const oy of [-d, 0, d])
      for (const ox of [-d, 0, d]) {
        if (oy === 0 && ox === 0) continue;
        dy.push(oy);
        dx.push(ox);
      }
  return { dy: Int32Array.from(dy), dx: Int32Array.from(dx) };
}

export function checkDilations(op: string, dilations: readonly number[]): void {
  assertShape(
    dilations.length > 0 && dilations.every((d) => Number.isInteger(d) && d >= 1),
    op,
    `dilations must be a non-empty list of integers >= 1, got ${JSON.stringify(dilations)}`,
  );
}

export function checkPamrShapes(image: readonly number[], mask: readonly number[]): void {
  const shapes = `image ${shapeStr(image)}, mask ${shapeStr(mask)}`;
  assertShape(image.length === 4 && mask.length === 4, 'pamr', `expects image [N,K,H,W] and mask [N,C,H,W]; got ${shapes}`);
  assertShape(
    image[0] === mask[0] && image[2] === mask[2] && image[3] === mask[3],
    'pamr',
    `image and mask must share N, H and W; got ${shapes}`,
  );
}
