/**
 * Two limits keep memory and time bounded on large images. A file declaring more than
 * MAX_IMAGE_PIXELS is refused before anything is allocated for it. A file over the processing
 * limit (DEFAULT_MAX_PIXELS unless the user sets another) is decoded, then downscaled to fit
 * it: the sample remembers its file size in `original`, and masks made for it are written back
 * at that size (maskAtFileSize), so every file on disk keeps its image's own size.
 */
import { UserError } from '../core/errors.js';
import type { Sample } from './sample.js';

/**
 * Largest image we agree to decode: 8192 x 8192 = 64 Mpixel. Decoding allocates several
 * buffers per pixel (RGBA bytes, float CHW), so a forged header beyond this would exhaust memory.
 */
export const MAX_IMAGE_PIXELS = 8192 * 8192;

/**
 * Default processing limit: 1 Mpixel (VOC's 500x375 and COCO's 640x480 fit). Inference runs at
 * up to 1.5x scale with a flipped copy, so one image at the limit already means ~4.5 Mpixel
 * through the network; larger images would cost memory and minutes per image.
 */
export const DEFAULT_MAX_PIXELS = 1024 * 1024;

/** Refuse a declared image size before anything is allocated for it. */
export function checkImageSize(width: number, height: number, file: string): void {
  if (!(width > 0 && height > 0)) throw new UserError(`${file}: invalid image size ${width}x${height}`);
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new UserError(`${file}: image size ${width}x${height} exceeds the limit of ${MAX_IMAGE_PIXELS} pixels (8192x8192)`);
  }
}

/** [height, width] that fits in maxPixels with the aspect ratio kept (the size itself when it fits). */
export function sizeWithin(height: number, width: number, maxPixels: number): [number, number] {
  if (height * width <= maxPixels) return [height, width];
  const f = Math.sqrt(maxPixels / (height * width));
  const h = Math.max(1, Math.floor(height * f)), w = Math.max(1, Math.floor(width * f));
  // A side held at 1 pixel (a very thin image) leaves the other side to fit the rest.
  return h * w <= maxPixels ? [h, w] : h === 1 ? [1, Math.floor(maxPixels)] : [Math.floor(maxPixels), 1];
}

/** Source index of output position o when an axis of `from` pixels becomes `to` (nearest, align_corners = false). */
const nearestIndex = (o: number, from: number, to: number) => Math.min(from - 1, Math.floor(((o + 0.5) * from) / to));

/** Nearest-neighbour resize of label planes [H,W] (masks, error maps: labels must not blend). */
export function resizeLabels(src: Uint8Array, H: number, W: number, h: number, w: number): Uint8Array {
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    const row = nearestIndex(y, H, h) * W;
    for (let x = 0; x < w; x++) out[y * w + x] = src[row + nearestIndex(x, W, w)]!;
  }
  return out;
}

/** Area-average downscale of `planes` planes [planes,H,W] to [planes,h,w] (h <= H, w <= W): no aliasing. */
function shrinkPlanes(src: Float32Array, planes: number, H: number, W: number, h: number, w: number): Float32Array {
  const out = new Float32Array(planes * h * w);
  const y0 = (y: number) => Math.floor((y * H) / h), x0 = (x: number) => Math.floor((x * W) / w);
  for (let k = 0; k < planes; k++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let total = 0;
        for (let sy = y0(y); sy < y0(y + 1); sy++) for (let sx = x0(x); sx < x0(x + 1); sx++) total += src[(k * H + sy) * W + sx]!;
        out[(k * h + y) * w + x] = total / ((y0(y + 1) - y0(y)) * (x0(x + 1) - x0(x)));
      }
  return out;
}

/** An RGB image [3,H,W] with at most maxPixels pixels: itself, or a copy downscaled by area averaging, its file size kept in `original`. */
export function fitImage<T extends Pick<Sample, 'height' | 'width' | 'image' | 'original'>>(x: T, maxPixels: number): T & Pick<Sample, 'original'> {
  const { height: H, width: W } = x;
  const [h, w] = sizeWithin(H, W, maxPixels);
  if (h === H && w === W) return x;
  return { ...x, height: h, width: w, image: shrinkPlanes(x.image, 3, H, W, h, w), original: x.original ?? { height: H, width: W } };
}

/**
 * The sample itself when it has at most maxPixels pixels, else a copy downscaled to fit:
 * image and saliency by area averaging, mask and error map by nearest neighbour, with the
 * file size kept in `original`.
 */
export function fitSample(sample: Sample, maxPixels: number): Sample {
  const { height: H, width: W } = sample;
  const fitted = fitImage(sample, maxPixels);
  if (fitted === sample) return sample;
  const { height: h, width: w } = fitted;
  const out: Sample = { ...sample, ...fitted, saliency: shrinkPlanes(sample.saliency, 1, H, W, h, w) };
  if (sample.mask) out.mask = resizeLabels(sample.mask, H, W, h, w);
  if (sample.valid) out.valid = resizeLabels(sample.valid, H, W, h, w);
  if (sample.errors?.pixels) out.errors = { ...sample.errors, pixels: resizeLabels(sample.errors.pixels, H, W, h, w) };
  return out;
}

/** A mask made for `sample` [height,width], at the size of its image file (nearest upscale for downscaled samples). */
export function maskAtFileSize(sample: Pick<Sample, 'height' | 'width' | 'original'>, mask: Uint8Array): { mask: Uint8Array; height: number; width: number } {
  const { height, width, original } = sample;
  if (!original) return { mask, height, width };
  return { mask: resizeLabels(mask, height, width, original.height, original.width), height: original.height, width: original.width };
}

/** The one-line notice for a downscaled image. */
export function downscaleNotice(file: string, sample: Pick<Sample, 'height' | 'width' | 'original'>, maxPixels: number): string {
  const { original } = sample;
  return `${file}: ${original!.width}x${original!.height} is over the limit of ${maxPixels} pixels (--max-pixels); processed at ${sample.width}x${sample.height}`;
}

/**
 * A mask file read for `sample`: at the sample's size as it is, or at its file size (a sample
 * downscaled to the limit) brought down by nearest neighbour; any other size is refused.
 */
export function maskAtSampleSize(sample: Pick<Sample, 'id' | 'height' | 'width' | 'original'>, raster: { data: Uint8Array; height: number; width: number }, path: string): Uint8Array {
  const { height, width, original } = sample;
  if (raster.height === height && raster.width === width) return raster.data;
  if (original && raster.height === original.height && raster.width === original.width) return resizeLabels(raster.data, raster.height, raster.width, height, width);
  const { width: W, height: H } = original ?? sample;
  throw new UserError(`${path}: mask is ${raster.width}x${raster.height} but image "${sample.id}" is ${W}x${H}`);
}
