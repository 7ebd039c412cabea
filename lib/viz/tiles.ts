/** Turn the method's arrays (image, maps, masks) into small RGB canvases for panels. */
import { VOC_PALETTE } from '../data/palette.js';
import { Canvas } from './canvas.js';
import { ramp } from './ramp.js';

/** RGB image CHW [3,H,W] in [0,1]. */
export function imageTile(chw: ArrayLike<number>, height: number, width: number): Canvas {
  const c = new Canvas(width, height);
  const n = height * width;
  for (let p = 0; p < n; p++) c.rgb.set([0, 1, 2].map((k) => Math.round(255 * Math.min(1, Math.max(0, chw[k * n + p]!)))), p * 3);
  return c;
}

/** A map with values in [0,1] (probabilities, saliency) as a heat map. */
export function mapTile(values: ArrayLike<number>, height: number, width: number): Canvas {
  const c = new Canvas(width, height);
  for (let p = 0; p < height * width; p++) c.rgb.set(ramp(values[p]!), p * 3);
  return c;
}

/** A 0/1 map in black and white (e.g. the inconsistent region N). */
export function binaryTile(values: ArrayLike<number>, height: number, width: number): Canvas {
  const c = new Canvas(width, height);
  for (let p = 0; p < height * width; p++) c.rgb.fill(values[p]! > 0.5 ? 255 : 0, p * 3, p * 3 + 3);
  return c;
}

/** A label mask in the PASCAL VOC colours (0 black, 255 cream). */
export function maskTile(mask: ArrayLike<number>, height: number, width: number): Canvas {
  const c = new Canvas(width, height);
  for (let p = 0; p < height * width; p++) {
    const l = mask[p]!;
    c.rgb.set(VOC_PALETTE.subarray(l * 3, l * 3 + 3), p * 3);
  }
  return c;
}

/** A canvas with the caption drawn under it in panels. */
export interface LabelledTile {
  label: string;
  tile: Canvas;
}

/** Lay tiles out in a row, each upscaled to `size` pixels with its label underneath. */
export function composePanel(tiles: LabelledTile[], opts: { size?: number; title?: string } = {}): Canvas {
  const size = opts.size ?? 128;
  const gap = 6;
  const labelH = Canvas.textHeight + 6;
  const titleH = opts.title ? Canvas.textHeight + 8 : 0;
  const width = gap + tiles.length * (size + gap);
  const out = new Canvas(width, titleH + gap + size + labelH + gap);
  if (opts.title) out.text(gap, 4, opts.title);
  tiles.forEach(({ label, tile }, i) => {
    const x = gap + i * (size + gap);
    const scale = Math.max(1, Math.floor(size / Math.max(tile.width, tile.height)));
    out.blit(tile, x + Math.floor((size - tile.width * scale) / 2), titleH + gap + Math.floor((size - tile.height * scale) / 2), scale);
    const maxChars = Math.floor(size / 6);
    const text = label.length > maxChars ? label.slice(0, maxChars) : label;
    out.text(x + Math.max(0, Math.floor((size - Canvas.textWidth(text)) / 2)), titleH + gap + size + 4, text);
  });
  return out;
}
