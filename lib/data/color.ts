/** Colour helpers for drawing synthetic images. */

/** HSV (all in [0,1], hue wraps) -> RGB triple in [0,1]. */
export function hsvToRgb(hue: number, saturation: number, value: number): [number, number, number] {
  const h = (((hue % 1) + 1) % 1) * 6;
  const f = (n: number) => {
    const k = (n + h) % 6;
    return value - value * saturation * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}
