/**
 * Grey-level morphology on [H,W] float maps: square erosion and dilation, and reconstruction
 * by dilation (Vincent, "Morphological grayscale reconstruction in image analysis", IEEE TIP
 * 1993: a forward and a backward raster scan, then a queue for what is left to propagate).
 */

/** Min (sign 1) or max (sign -1) over a size x size square, clipped at the border: rows, then columns. */
function squareFilter(values: Float32Array, height: number, width: number, size: number, sign: 1 | -1): Float32Array {
  const before = Math.floor((size - 1) / 2), after = size - 1 - before;
  const rows = new Float32Array(values.length), out = new Float32Array(values.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let v = sign * values[row + x];
      for (let j = Math.max(0, x - before), end = Math.min(width - 1, x + after); j <= end; j++) v = Math.min(v, sign * values[row + j]);
      rows[row + x] = sign * v;
    }
  }
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      let v = sign * rows[y * width + x];
      for (let j = Math.max(0, y - before), end = Math.min(height - 1, y + after); j <= end; j++) v = Math.min(v, sign * rows[j * width + x]);
      out[y * width + x] = sign * v;
    }
  }
  return out;
}

/** Erosion by a size x size square (the window is clipped at the image border). */
export function erode(values: Float32Array, height: number, width: number, size: number): Float32Array {
  return squareFilter(values, height, width, size, 1);
}

/** Dilation by a size x size square (the window is clipped at the image border). */
export function dilate(values: Float32Array, height: number, width: number, size: number): Float32Array {
  return squareFilter(values, height, width, size, -1);
}

/** The 8 neighbours as (dx, dy): the first four come before a pixel in raster order, the last four after. */
const NEIGHBOURS = [[-1, -1], [0, -1], [1, -1], [-1, 0], [1, 0], [-1, 1], [0, 1], [1, 1]] as const;

/**
 * Reconstruction by dilation of `marker` under `mask`, 8-connected: the largest map <= mask
 * reachable from min(marker, mask) by repeated dilation.
 */
export function reconstruct(marker: Float32Array, mask: Float32Array, height: number, width: number): Float32Array {
  const out = new Float32Array(marker.length);
  for (let p = 0; p < out.length; p++) out[p] = Math.min(marker[p], mask[p]);
  /** Neighbour k of (x, y) as a flat index, or -1 outside the image. */
  const at = (x: number, y: number, k: number) => {
    const nx = x + NEIGHBOURS[k][0], ny = y + NEIGHBOURS[k][1];
    return nx >= 0 && ny >= 0 && nx < width && ny < height ? ny * width + nx : -1;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      let v = out[p];
      for (let k = 0; k < 4; k++) { const q = at(x, y, k); if (q >= 0 && out[q] > v) v = out[q]; }
      out[p] = Math.min(v, mask[p]);
    }
  }
  const queue: number[] = [];
  for (let y = height - 1; y >= 0; y--) {
    for (let x = width - 1; x >= 0; x--) {
      const p = y * width + x;
      let v = out[p];
      for (let k = 4; k < 8; k++) { const q = at(x, y, k); if (q >= 0 && out[q] > v) v = out[q]; }
      out[p] = Math.min(v, mask[p]);
      // A pixel that can still raise a later neighbour starts the queue.
      for (let k = 4; k < 8; k++) { const q = at(x, y, k); if (q >= 0 && out[q] < out[p] && out[q] < mask[q]) { queue.push(p); break; } }
    }
  }
  for (let i = 0; i < queue.length; i++) {
    const p = queue[i], x = p % width, y = (p - x) / width;
    for (let k = 0; k < 8; k++) {
      const q = at(x, y, k);
      if (q < 0 || out[q] >= out[p] || out[q] === mask[q]) continue;
      out[q] = Math.min(out[p], mask[q]);
      queue.push(q);
    }
  }
  return out;
}
