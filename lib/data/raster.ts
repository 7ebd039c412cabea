/**
 * Conversions between 8-bit interleaved pixels (what files hold) and the flat float layouts
 * samples use: image CHW [3,H,W] in [0,1], saliency [H,W] in [0,1].
 */

/** Decoded pixels, interleaved row-major (HWC). */
export interface Raster {
  width: number;
  height: number;
  /** [H*W*channels] samples, 0..255. */
  data: Uint8Array;
}

/** 8-bit value of a [0,1] float, rounded (so a read-back differs by at most 1/510). */
function toByte(v: number): number {
  return Math.round(Math.min(1, Math.max(0, v)) * 255);
}

/** HWC 8-bit RGB -> CHW float [3,H,W] in [0,1]. */
export function rgbToChw(rgb: Uint8Array, height: number, width: number): Float32Array {
  const plane = height * width;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[c * plane + p] = rgb[3 * p + c] / 255;
  return out;
}

/** CHW float [3,H,W] in [0,1] -> HWC 8-bit RGB (values outside [0,1] are clamped). */
export function chwToRgb(image: Float32Array, height: number, width: number): Uint8Array {
  const plane = height * width;
  const out = new Uint8Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[3 * p + c] = toByte(image[c * plane + p]);
  return out;
}

/** 8-bit grey -> float in [0,1]. */
export function greyToUnit(grey: Uint8Array): Float32Array {
  return Float32Array.from(grey, (v) => v / 255);
}

/** Float in [0,1] -> 8-bit grey (clamped). */
export function unitToGrey(values: Float32Array): Uint8Array {
  return Uint8Array.from(values, toByte);
}
