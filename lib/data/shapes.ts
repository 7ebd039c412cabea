/**
 * Shape geometry for the synthetic images: the class shapes, the distractor shapes that belong
 * to no class, and rasterisation of a placed shape to the pixels it covers. Every shape is an
 * inside test in object coordinates (u, v), where the object's radius is 1 and v points down.
 */

/** Class shapes in label order: label c draws CLASS_SHAPES[c-1]. */
export const CLASS_SHAPES = ['disc', 'square', 'triangle', 'ring', 'cross', 'star', 'hexagon', 'crescent'] as const;

/** Name of a class shape. */
export type ClassShape = (typeof CLASS_SHAPES)[number];

/** Inside test in object coordinates. */
export type InsideTest = (u: number, v: number) => boolean;

const SQRT3 = Math.sqrt(3);

const CLASS_INSIDE: Record<ClassShape, InsideTest> = {
  disc: (u, v) => u * u + v * v <= 1,
  square: (u, v) => Math.abs(u) <= 0.8 && Math.abs(v) <= 0.8,
  triangle: (u, v) => v <= 0.6 && Math.abs(u) <= ((v + 1.15) / SQRT3), // apex up, flat base
  ring: (u, v) => {
    const r2 = u * u + v * v;
    return r2 <= 1 && r2 >= 0.3;
  },
  cross: (u, v) => (Math.abs(u) <= 0.3 && Math.abs(v) <= 1) || (Math.abs(v) <= 0.3 && Math.abs(u) <= 1),
  star: (u, v) => {
    // five points: the radius falls linearly from 1 at a tip to 0.4 between tips
    const turn = ((Math.atan2(u, -v) / (2 * Math.PI)) * 5 + 5) % 1;
    return Math.hypot(u, v) <= 0.4 + 0.6 * Math.abs(1 - 2 * turn);
  },
  hexagon: (u, v) => Math.abs(v) <= SQRT3 / 2 && SQRT3 * Math.abs(u) + Math.abs(v) <= SQRT3,
  crescent: (u, v) => u * u + v * v <= 1 && (u - 0.5) * (u - 0.5) + v * v > 0.6,
};

/** The inside test of a class shape. */
export function classShapeTest(shape: ClassShape): InsideTest {
  return CLASS_INSIDE[shape];
}

/** Elongated wobbly blob: a salient-looking shape that matches no class. */
export function blobTest(aspect: number, wobble: number, lobes: number, phase: number): InsideTest {
  return (u, v) => {
    const x = u, y = v * aspect;
    return Math.hypot(x, y) <= 1 + wobble * Math.sin(lobes * Math.atan2(y, x) + phase);
  };
}

/** Straight bar of the given half-thickness (its half-length is 1). */
export function barTest(halfThickness: number): InsideTest {
  return (u, v) => Math.abs(u) <= 1 && Math.abs(v) <= halfThickness;
}

/** Where a shape sits in the image: centre in pixels, radius in pixels, rotation in radians. */
export interface Placement {
  cx: number;
  cy: number;
  radius: number;
  angle: number;
}

/**
 * Pixel p's position along the placed shape's own "down" axis, in radii (positive below its
 * centre, turning with the shape), so that a part (the lower third, the head) is the same part
 * of the shape whatever its pose.
 */
export function objectDown(at: Placement, size: number): (p: number) => number {
  const cos = Math.cos(at.angle), sin = Math.sin(at.angle);
  return (p) => {
    const x = p % size, y = (p - x) / size;
    return (cos * (y + 0.5 - at.cy) - sin * (x + 0.5 - at.cx)) / at.radius;
  };
}

/**
 * Flat indices (y*size + x) of the pixels whose centres fall inside the placed shape.
 * Shapes reach at most `reach` radii from their centre, which bounds the scan.
 */
export function rasterise(test: InsideTest, at: Placement, size: number, reach = 1.3): Int32Array {
  const extent = at.radius * reach;
  const x0 = Math.max(0, Math.floor(at.cx - extent)), x1 = Math.min(size - 1, Math.ceil(at.cx + extent));
  const y0 = Math.max(0, Math.floor(at.cy - extent)), y1 = Math.min(size - 1, Math.ceil(at.cy + extent));
  const cos = Math.cos(at.angle), sin = Math.sin(at.angle);
  const out: number[] = [];
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - at.cx, dy = y + 0.5 - at.cy;
      if (test((cos * dx + sin * dy) / at.radius, (cos * dy - sin * dx) / at.radius)) out.push(y * size + x);
    }
  }
  return Int32Array.from(out);
}
