/** A tiny RGB raster: fill, blit with integer upscaling, text, and PNG encoding. */
import { encodePngRgb } from '../data/png.js';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font.js';

/** A colour as 8-bit red, green and blue. */
export type RGB = readonly [number, number, number];

/** An 8-bit RGB raster (`rgb` holds width*height*3 bytes, row-major), filled with `background` (default white). */
export class Canvas {
  readonly rgb: Uint8Array;
  constructor(readonly width: number, readonly height: number, background: RGB = [255, 255, 255]) {
    this.rgb = new Uint8Array(width * height * 3);
    for (let p = 0; p < width * height; p++) this.rgb.set(background, p * 3);
  }

  set(x: number, y: number, c: RGB): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.rgb.set(c, (y * this.width + x) * 3);
  }

  /** Copy another canvas at (x, y), each source pixel drawn as a scale x scale block. */
  blit(src: Canvas, x: number, y: number, scale = 1): void {
    for (let sy = 0; sy < src.height; sy++)
      for (let sx = 0; sx < src.width; sx++) {
        const i = (sy * src.width + sx) * 3;
        const c: RGB = [src.rgb[i]!, src.rgb[i + 1]!, src.rgb[i + 2]!];
        for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) this.set(x + sx * scale + dx, y + sy * scale + dy, c);
      }
  }

  text(x: number, y: number, s: string, c: RGB = [0, 0, 0], scale = 1): void {
    [...s].forEach((ch, k) =>
      glyph(ch).forEach((row, gy) => {
        for (let gx = 0; gx < 5; gx++)
          if (row & (16 >> gx)) for (let d = 0; d < scale * scale; d++) this.set(x + (k * GLYPH_WIDTH + gx) * scale + (d % scale), y + gy * scale + Math.floor(d / scale), c);
      }),
    );
  }

  static textWidth(s: string, scale = 1): number {
    return s.length * GLYPH_WIDTH * scale;
  }

  static readonly textHeight = GLYPH_HEIGHT;

  toPng(): Uint8Array {
    return encodePngRgb(this.width, this.height, this.rgb);
  }
}
