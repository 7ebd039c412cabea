/**
 * Grey-level morphology on [H,W] float maps: square erosion and dilation, and reconstruction
 * by dilation (Vincent, "Morphological grayscale reconstruction in image analysis", IEEE TIP
 * 1993: a forward and a backward raster scan, then a queue for what is left to propagate).
 */

/**
 * Min (sign 1) or max (sign -1) over a size x size square, clipped at the border: rows, then
 * columns, each line in O(1) per pixel by van Herk / Gil-Werman (prefix and suffix minima over
 * blocks of `size`, the line padded with +infinity).
 */
function squareFilter(values: Float32Array, height: number, width: number, size: number, sign: 1 | -1): Float32Array {
  const before = Math.floor((size - 1) / 2), longest = Math.max(height, width) + size - 1;
  const f = new Float64Array(longest), g = new Float64Array(longest), h = new Float64Array(longest);
  const line = (src: Float32Array, dst: Float32Array, start: number, stride: number, length: number) => {
    const padded = length + size - 1;
    for (let j = 0; j < padded; j++) {
      const i = j - before;
      f[j] = i >= 0 && i < length ? sign * src[start + i * stride] : Infinity;
      g[j] = j % size === 0 ? f[j] : Math.min(g[j - 1], f[j]);
    }
    for (let j = padded - 1; j >= 0; j--) h[j] = j === padded - 1 || (j + 1) % size === 0 ? f[j] : Math.min(h[j + 1], f[j]);
    for (let i = 0; i < length; i++) dst[start + i * stride] = sign * Math.min(h[i], g[i + size - 1]);
  };
  const rows = new Float32Array(values.length), out = new Float32Array(values.length);
  for (let y = 0; y < height; y++) line(values, rows, y * width, 1, width);
  for (let x = 0; x < width; x++) line(rows, out, x, width, height);
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

/** The 8 neighbours: the first four come before a pixel in raster order, the last four after. */
const DX = Int8Array.from([-1, 0, 1, -1, 1, -1, 0, 1]);
const DY = Int8Array.from([-1, -1, -1, 0, 0, 1, 1, 1]);

/**
 * Reconstruction by dilation of `marker` under `mask`, 8-connected: the largest map <= mask
 * reachable from min(marker, mask) by repeated dilation.
 */
export function reconstruct(marker: Float32Array, mask: Float32Array, height: number, width: number): Float32Array {
  const out = new Float32Array(marker.length);
  for (let p = 0; p < out.length; p++) out[p] = Math.min(marker[p], mask[p]);
  /** Raise pixel (x, y) to the largest of neighbours k0..k1-1 (capped by the mask). */
  const raise = (x: number, y: number, k0: number, k1: number) => {
    const p = y * width + x;
    let v = out[p];
    for (let k = k0; k < k1; k++) {
      const nx = x + DX[k], ny = y + DY[k];
      if (nx >= 0 && ny >= 0 && nx < width && ny < height && out[ny * width + nx] > v) v = out[ny * width + nx];
    }
    out[p] = v < mask[p] ? v : mask[p];
  };
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raise(x, y, 0, 4);
  const queue: number[] = [];
  for (let y = height - 1; y >= 0; y--) {
    for (let x = width - 1; x >= 0; x--) {
      raise(x, y, 4, 8);
      // A pixel that can still raise a later neighbour starts the queue.
      const p = y * width + x;
      for (let k = 4; k < 8; k++) {
        const nx = x + DX[k], ny = y + DY[k], q = ny * width + nx;
        if (nx >= 0 && ny < height && nx < width && out[q] < out[p] && out[q] < mask[q]) { queue.push(p); break; }
      }
    }
  }
  for (let i = 0; i < queue.length; i++) {
    const p = queue[i], x = p % width, y = (p - x) / width;
    for (let k = 0; k < 8; k++) {
      const nx = x + DX[k], ny = y + DY[k], q = ny * width + nx;
      if (nx < 0 || ny < 0 || nx >= width || ny >= height || out[q] >= out[p] || out[q] === mask[q]) continue;
      out[q] = out[p] < mask[q] ? out[p] : mask[q];
      queue.push(q);
    }
  }
  return out;
}
