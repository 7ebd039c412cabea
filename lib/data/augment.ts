/**
 * Seeded training augmentation: random rescale, random crop (padding where the crop leaves the
 * image) and horizontal flip. One inverse mapping from output to source pixels is built per
 * call and applied to image and saliency (bilinear) and to mask, error map and valid-pixel map
 * (nearest), so all of them stay aligned by construction. Padding is 0 in image and saliency,
 * 255 (ignore) in the mask and 0 in `valid`, which is how the losses know to skip it.
 * Colour jitter (brightness, contrast, saturation) changes the image only: saliency, masks and
 * labels describe the same objects whatever their colour (docs/method.md#augmentation).
 */
import type { Rng } from '../core/random.js';
import { chance, intIn } from './sampling.js';
import { IGNORE_LABEL, type Sample } from './sample.js';

/** Augmentation settings. */
export interface AugmentOptions {
  /** Range of the random rescale factor (default [0.75, 1.25]; [1, 1] disables rescaling). */
  scale?: [number, number];
  /**
   * Output size, a side or [height, width]. Default (undefined or null): the input size here;
   * training derives one size for the whole set instead (see trainingCrop in lib/train/sampler.ts).
   */
  crop?: number | [number, number] | null;
  /** Flip horizontally with probability 0.5 (default true). */
  flip?: boolean;
  /**
   * Colour jitter strength s in [0, 1): brightness, contrast and saturation factors each drawn
   * uniformly from [1 - s, 1 + s] (default 0: off, and no random numbers drawn for it).
   */
  color?: number;
}

/**
 * Jitter an image [3,H,W] in [0,1] in place: brightness (scale), contrast (blend with the mean
 * grey) and saturation (blend with each pixel's grey), in a random order as torchvision's
 * ColorJitter does, clamped to [0,1]. Grey = 0.299 R + 0.587 G + 0.114 B.
 */
export function jitterColor(image: Float32Array, plane: number, strength: number, rng: Rng): void {
  const factor = () => rng.uniform(1 - strength, 1 + strength);
  const grey = (p: number) => 0.299 * image[p]! + 0.587 * image[plane + p]! + 0.114 * image[2 * plane + p]!;
  const blend = (towards: (p: number) => number, f: number) => {
    for (let p = 0; p < plane; p++) {
      const g = towards(p);
      for (let c = 0; c < 3; c++) image[c * plane + p] = g + f * (image[c * plane + p]! - g);
    }
  };
  const steps = [
    (f: number) => { for (let i = 0; i < image.length; i++) image[i] = image[i]! * f; },
    (f: number) => { let m = 0; for (let p = 0; p < plane; p++) m += grey(p); m /= plane; blend(() => m, f); },
    (f: number) => blend(grey, f),
  ];
  const order = [0, 1, 2];
  for (let i = 2; i > 0; i--) { const j = intIn(rng, 0, i); [order[i], order[j]] = [order[j]!, order[i]!]; }
  for (const k of order) { steps[k]!(factor()); for (let i = 0; i < image.length; i++) image[i] = Math.min(1, Math.max(0, image[i]!)); }
}

/** Per output row (or column): where it samples the source, or -1 in the padding. */
interface AxisMap {
  /** Nearest source index. */
  nearest: Int32Array;
  /** Bilinear: lower index, upper index, weight of the upper one. */
  lo: Int32Array;
  hi: Int32Array;
  weight: Float32Array;
}

/**
 * Map `outSize` output positions to a source axis of `srcSize` pixels that was rescaled to
 * `scaledSize` and cropped from `offset` (negative = padding before), optionally mirrored.
 * Source coordinates follow align_corners = false, as everywhere else in epsx.
 */
function axisMap(srcSize: number, scaledSize: number, outSize: number, offset: number, mirror: boolean): AxisMap {
  const map: AxisMap = { nearest: new Int32Array(outSize), lo: new Int32Array(outSize), hi: new Int32Array(outSize), weight: new Float32Array(outSize) };
  const ratio = srcSize / scaledSize;
  for (let o = 0; o < outSize; o++) {
    let s = o + offset;
    if (s < 0 || s >= scaledSize) {
      map.nearest[o] = -1;
      continue;
    }
    if (mirror) s = scaledSize - 1 - s;
    map.nearest[o] = Math.min(srcSize - 1, Math.floor((s + 0.5) * ratio));
    const src = Math.min(srcSize - 1, Math.max(0, (s + 0.5) * ratio - 0.5));
    map.lo[o] = Math.floor(src);
    map.hi[o] = Math.min(srcSize - 1, map.lo[o] + 1);
    map.weight[o] = src - map.lo[o];
  }
  return map;
}

/** [height, width] of a crop option (a side, a pair, or the input size when absent). */
export function cropSize(crop: AugmentOptions['crop'], height: number, width: number): [number, number] {
  if (crop === undefined || crop === null) return [height, width];
  return typeof crop === 'number' ? [crop, crop] : [crop[0], crop[1]];
}

/** A crop offset: anywhere the crop fits, or anywhere the image fits inside a larger crop. */
function cropOffset(rng: Rng, scaled: number, out: number): number {
  return scaled >= out ? intIn(rng, 0, scaled - out) : intIn(rng, scaled - out, 0);
}

/** Return a new augmented sample; the input is not modified. Image-level labels are kept as they are. */
export function augment(sample: Sample, rng: Rng, options: AugmentOptions = {}): Sample {
  const { height: H, width: W } = sample;
  const [minScale, maxScale] = options.scale ?? [0.75, 1.25];
  const [outH, outW] = cropSize(options.crop, H, W);
  const factor = rng.uniform(minScale, maxScale);
  const scaledH = Math.max(1, Math.round(H * factor)), scaledW = Math.max(1, Math.round(W * factor));
  const rows = axisMap(H, scaledH, outH, cropOffset(rng, scaledH, outH), false);
  const cols = axisMap(W, scaledW, outW, cropOffset(rng, scaledW, outW), (options.flip ?? true) && chance(rng, 0.5));

  const bilinear = (src: Float32Array, out: Float32Array) => {
    for (let y = 0; y < outH; y++) {
      if (rows.nearest[y] < 0) continue;
      const top = rows.lo[y] * W, bottom = rows.hi[y] * W, wy = rows.weight[y];
      for (let x = 0; x < outW; x++) {
        if (cols.nearest[x] < 0) continue;
        const l = cols.lo[x], r = cols.hi[x], wx = cols.weight[x];
        const upper = src[top + l] * (1 - wx) + src[top + r] * wx;
        const lower = src[bottom + l] * (1 - wx) + src[bottom + r] * wx;
        out[y * outW + x] = upper * (1 - wy) + lower * wy;
      }
    }
  };
  const nearest = (src: Uint8Array, padding: number): Uint8Array => {
    const out = new Uint8Array(outH * outW).fill(padding);
    for (let y = 0; y < outH; y++) {
      if (rows.nearest[y] < 0) continue;
      for (let x = 0; x < outW; x++) if (cols.nearest[x] >= 0) out[y * outW + x] = src[rows.nearest[y] * W + cols.nearest[x]];
    }
    return out;
  };

  const plane = H * W, outPlane = outH * outW;
  const image = new Float32Array(3 * outPlane);
  for (let c = 0; c < 3; c++) bilinear(sample.image.subarray(c * plane, (c + 1) * plane), image.subarray(c * outPlane, (c + 1) * outPlane));
  if (options.color) jitterColor(image, outPlane, options.color, rng);
  const saliency = new Float32Array(outPlane);
  bilinear(sample.saliency, saliency);

  const out: Sample = { id: sample.id, height: outH, width: outW, image, saliency, labels: sample.labels.slice() };
  if (sample.mask) out.mask = nearest(sample.mask, IGNORE_LABEL);
  const valid = nearest(sample.valid ?? new Uint8Array(plane).fill(1), 0);
  if (valid.includes(0)) out.valid = valid;
  if (sample.errors) {
    out.errors = { ...sample.errors };
    if (sample.errors.pixels) out.errors.pixels = nearest(sample.errors.pixels, 0);
  }
  return out;
}
