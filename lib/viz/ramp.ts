/** The heat-map colours of panels (the report's and the playground's); no runtime imports, so a page can use it without the PNG encoder. */
import type { RGB } from './canvas.js';

// A perceptual dark-blue -> teal -> yellow ramp (viridis control points).
const RAMP: RGB[] = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

/** The colour of v in [0,1] (clamped; NaN is 0). */
export function ramp(v: number): RGB {
  const t = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(t));
  const f = t - i;
  return [0, 1, 2].map((k) => Math.round(RAMP[i]![k]! * (1 - f) + RAMP[i + 1]![k]! * f)) as unknown as RGB;
}
