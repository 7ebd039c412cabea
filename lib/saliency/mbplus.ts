/**
 * MB+ salient object detection: Zhang, Sclaroff, Lin, Shen, Price and Mech, "Minimum Barrier
 * Salient Object Detection at 80 FPS", ICCV 2015. A pixel is salient when every path from it to
 * the image border crosses a barrier: the minimum barrier distance (MBD, the smallest
 * max-minus-min of the colour along any path to the border) is approximated by their FastMBD
 * raster scans, per Lab channel. MB+ adds a backgroundness cue (colour distance to the four
 * border regions), a centre bias, morphological smoothing and a contrast-enhancing sigmoid.
 * Settings are the paper's, for images resized so their longer side is 300 pixels.
 */
import { linearTaps } from '../../ops/resize-taps.js';
import { resizeBilinearRef } from '../../ops/reference/resize.js';
import { dilate, erode, reconstruct } from './morphology.js';

/** Settings of the detector; defaults are those of the paper. */
export interface MbPlusOptions {
  /** Longer image side the detector works at (default 300). */
  workSize?: number;
  /** Raster scans of FastMBD, alternating forward and backward (default 3). */
  passes?: number;
  /** Median filter applied to each Lab channel first (default 5; 1 turns it off). */
  median?: number;
  /** Width of each border region of the backgroundness cue, as a share of the image side (default 0.1). */
  borderRatio?: number;
  /** Added to the diagonal of each border region's RGB covariance, in 0..255 units (default 50). */
  covarianceReg?: number;
  /** Multiply by 1 - (distance to the centre) (default true). */
  centreBias?: boolean;
  /** Smoothing width = alpha * sqrt(mean saliency) (default 50). */
  smoothAlpha?: number;
  /** Slope of the final sigmoid (default 10). */
  contrast?: number;
}

const DEFAULTS: Required<MbPlusOptions> = { workSize: 300, passes: 3, median: 5, borderRatio: 0.1, covarianceReg: 50, centreBias: true, smoothAlpha: 50, contrast: 10 };

/** Bilinear resize of `planes` stacked [H,W] maps (half-pixel centres). */
function resize(values: Float32Array, planes: number, height: number, width: number, outHeight: number, outWidth: number): Float32Array {
  if (height === outHeight && width === outWidth) return values.slice();
  const g = { planes, H: height, W: width, OH: outHeight, OW: outWidth };
  return Float32Array.from(resizeBilinearRef(values, g, linearTaps(height, outHeight, false), linearTaps(width, outWidth, false)));
}

/** Scale to [0,1] by min and max; a constant map becomes zeros. */
function normalise(values: Float32Array): Float32Array {
  let lo = Infinity, hi = -Infinity;
  for (let p = 0; p < values.length; p++) { lo = Math.min(lo, values[p]); hi = Math.max(hi, values[p]); }
  const out = new Float32Array(values.length), range = hi - lo;
  if (range > 0) for (let p = 0; p < values.length; p++) out[p] = (values[p] - lo) / range;
  return out;
}

/** sRGB [0,1] CHW -> CIE Lab (D65) on OpenCV's 8-bit scale: L*255/100, a+128, b+128. */
export function rgbToLab(rgb: Float32Array, plane: number): Float32Array {
  const out = new Float32Array(3 * plane);
  const linear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  for (let p = 0; p < plane; p++) {
    const r = linear(rgb[p]), g = linear(rgb[plane + p]), b = linear(rgb[2 * plane + p]);
    const fx = f((0.412453 * r + 0.35758 * g + 0.180423 * b) / 0.950456);
    const fy = f(0.212671 * r + 0.71516 * g + 0.072169 * b);
    const fz = f((0.019334 * r + 0.119193 * g + 0.950227 * b) / 1.088754);
    out[p] = (116 * fy - 16) * 2.55;
    out[plane + p] = 500 * (fx - fy) + 128;
    out[2 * plane + p] = 200 * (fy - fz) + 128;
  }
  return out;
}

/**
 * size x size median of one [H,W] map of values in 0..255, rounded to integers first (as the
 * paper's 8-bit Lab), the window clipped at the border. Huang's running histogram: each step
 * along a row swaps one column of the window and moves the median a few bins.
 */
export function medianFilter(values: Float32Array, height: number, width: number, size: number): Float32Array {
  const out = new Float32Array(values.length), level = new Uint8Array(values.length);
  for (let p = 0; p < values.length; p++) level[p] = Math.max(0, Math.min(255, Math.round(values[p])));
  if (size <= 1) return Float32Array.from(level);
  const r = Math.floor(size / 2), hist = new Int32Array(256);
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(0, y - r), y1 = Math.min(height - 1, y + r);
    hist.fill(0);
    let n = 0, median = 0, below = 0; // `below`: window values < median
    for (let x = -r; x < width; x++) {
      const add = x + r, drop = x - r - 1;
      for (let yy = y0; yy <= y1; yy++) {
        if (add < width) { const v = level[yy * width + add]; hist[v]++; n++; if (v < median) below++; }
        if (drop >= 0) { const v = level[yy * width + drop]; hist[v]--; n--; if (v < median) below--; }
      }
      if (x < 0) continue;
      const half = n >> 1; // the median is the value at sorted index half
      while (below > half) { median--; below -= hist[median]; }
      while (below + hist[median] <= half) { below += hist[median]; median++; }
      out[y * width + x] = median;
    }
  }
  return out;
}

/**
 * FastMBD (the paper's Algorithm 1): the minimum barrier distance of every pixel to the image
 * border, seeds at distance 0, updated by alternating forward (up and left neighbours) and
 * backward (down and right) raster scans; each pixel keeps the highest and lowest value on its
 * current best path.
 */
export function fastMbd(values: Float32Array, height: number, width: number, passes: number): Float32Array {
  const dist = new Float32Array(values.length), hi = values.slice(), lo = values.slice();
  for (let y = 1; y < height - 1; y++) for (let x = 1; x < width - 1; x++) dist[y * width + x] = Infinity;
  const relax = (p: number, q: number) => {
    const v = values[p], up = Math.max(hi[q], v), down = Math.min(lo[q], v);
    if (up - down < dist[p]) { dist[p] = up - down; hi[p] = up; lo[p] = down; }
  };
  for (let pass = 0; pass < passes; pass++) {
    if (pass % 2 === 0) {
      for (let y = 1; y < height - 1; y++) for (let x = 1; x < width - 1; x++) { const p = y * width + x; relax(p, p - 1); relax(p, p - width); }
    } else {
      for (let y = height - 2; y >= 1; y--) for (let x = width - 2; x >= 1; x--) { const p = y * width + x; relax(p, p + 1); relax(p, p + width); }
    }
  }
  return dist;
}

/** Inverse of a symmetric positive-definite 3x3 matrix (row-major). */
function inverse3(m: number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [A, -(b * i - c * h), b * f - c * e, B, a * i - c * g, -(a * f - c * d), C, -(a * h - b * g), a * e - b * d].map((v) => v / det);
}

/**
 * The backgroundness cue of MB+: for each of the four border regions, the Mahalanobis distance of
 * every pixel's RGB (0..255) to the region's colours, scaled to [0,1]; summed over the regions
 * minus the largest one, so that one border region covered by the object does not decide alone.
 */
export function backgroundness(rgb255: Float32Array, height: number, width: number, ratio: number, reg: number): Float32Array {
  const plane = height * width, rows = Math.max(1, Math.round(ratio * height)), cols = Math.max(1, Math.round(ratio * width));
  const regions: Array<[number, number, number, number]> = [[0, width, 0, rows], [0, width, height - rows, height], [0, cols, 0, height], [width - cols, width, 0, height]];
  const total = new Float32Array(plane), largest = new Float32Array(plane), distance = new Float32Array(plane);
  for (const [x0, x1, y0, y1] of regions) {
    const n = (x1 - x0) * (y1 - y0), mean = [0, 0, 0], cov = new Array<number>(9).fill(0);
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++) mean[c] += rgb255[c * plane + y * width + x] / n;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) cov[3 * i + j] += (rgb255[i * plane + y * width + x] - mean[i]) * (rgb255[j * plane + y * width + x] - mean[j]);
      }
    }
    const inv = inverse3(cov.map((v, k) => v / Math.max(1, n - 1) + (k % 4 === 0 ? reg : 0)));
    for (let p = 0; p < plane; p++) {
      const d0 = rgb255[p] - mean[0], d1 = rgb255[plane + p] - mean[1], d2 = rgb255[2 * plane + p] - mean[2];
      const q = d0 * (inv[0] * d0 + inv[1] * d1 + inv[2] * d2) + d1 * (inv[3] * d0 + inv[4] * d1 + inv[5] * d2) + d2 * (inv[6] * d0 + inv[7] * d1 + inv[8] * d2);
      distance[p] = Math.sqrt(Math.max(0, q));
    }
    const scaled = normalise(distance);
    for (let p = 0; p < plane; p++) { total[p] += scaled[p]; largest[p] = Math.max(largest[p], scaled[p]); }
  }
  for (let p = 0; p < plane; p++) total[p] -= largest[p];
  return normalise(total);
}

/** Opening by reconstruction, then closing by reconstruction, with a width x width square. */
function smooth(values: Float32Array, height: number, width: number, size: number): Float32Array {
  const opened = reconstruct(erode(values, height, width, size), values, height, width);
  const complement = (m: Float32Array) => Float32Array.from(m, (v) => 1 - v);
  return complement(reconstruct(complement(dilate(opened, height, width, size)), complement(opened), height, width));
}

/** The paper's sigmoid around the midpoint of the means above and below half the maximum. */
function enhanceContrast(values: Float32Array, slope: number): Float32Array {
  let max = 0;
  for (let p = 0; p < values.length; p++) max = Math.max(max, values[p]);
  let above = 0, nAbove = 0, below = 0, nBelow = 0;
  for (let p = 0; p < values.length; p++) {
    const v = values[p];
    if (v >= 0.5 * max) { above += v; nAbove++; } else { below += v; nBelow++; }
  }
  const middle = 0.5 * (above / nAbove + (nBelow > 0 ? below / nBelow : 0));
  return Float32Array.from(values, (v) => 1 / (1 + Math.exp(-slope * (v - middle))));
}

/**
 * MB+ saliency of an RGB image (CHW [3,H,W] in [0,1]): an [H,W] map in [0,1], high on salient
 * objects. Deterministic; no training, no data.
 */
export function mbPlusSaliency(image: Float32Array, height: number, width: number, options: MbPlusOptions = {}): Float32Array {
  const o = { ...DEFAULTS, ...options };
  const scale = o.workSize / Math.max(height, width);
  const h = Math.max(3, Math.round(height * scale)), w = Math.max(3, Math.round(width * scale)), plane = h * w;
  const rgb = resize(image, 3, height, width, h, w);
  // Lab is converted on the smaller grid: before an upscale, after a downscale.
  const lab = plane > height * width ? resize(rgbToLab(image, height * width), 3, height, width, h, w) : rgbToLab(rgb, plane);

  const mbd = new Float32Array(plane);
  for (let c = 0; c < 3; c++) {
    const channel = medianFilter(lab.subarray(c * plane, (c + 1) * plane), h, w, o.median);
    const d = fastMbd(channel, h, w, o.passes);
    for (let p = 0; p < plane; p++) mbd[p] += d[p];
  }
  const rgb255 = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) rgb255[i] = 255 * rgb[i];
  const bg = backgroundness(rgb255, h, w, o.borderRatio, o.covarianceReg);
  const cue = normalise(mbd);
  let map: Float32Array = new Float32Array(plane);
  const far = Math.hypot(0.5, 0.5);
  for (let p = 0; p < plane; p++) {
    const x = p % w, y = (p - x) / w;
    map[p] = (cue[p] + bg[p]) * (o.centreBias ? 1 - Math.hypot((x + 0.5) / w - 0.5, (y + 0.5) / h - 0.5) / far : 1);
  }
  map = normalise(map);
  let mean = 0;
  for (let p = 0; p < plane; p++) mean += map[p] / plane;
  if (mean === 0) return new Float32Array(height * width);
  map = smooth(map, h, w, Math.max(3, Math.floor(o.smoothAlpha * Math.sqrt(mean))));
  map = enhanceContrast(map, o.contrast);
  return normalise(resize(map, 1, h, w, height, width));
}
