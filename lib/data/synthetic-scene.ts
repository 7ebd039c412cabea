/**
 * Draws one synthetic scene: a cluttered background, salient-looking distractors that belong to
 * no class, and 1-3 class objects on top. Each class has its own shape, hue band and stripe
 * direction (all jittered; with appearance 'parts' the hue and stripes only on the head), so a
 * small CNN can learn it from image-level labels, while
 * distractors share neither the shapes nor the hues and so are never evidence for a class.
 * Some classes travel with a companion structure drawn under them (water under a disc, rails
 * under a triangle, as water under a boat or rails under a train): background in the truth, and
 * the context a real saliency detector marks along with the object.
 */
import { hsvToRgb } from './color.js';
import type { Rng } from '../core/random.js';
import { chance, intIn } from './sampling.js';
import { CLASS_SHAPES, barTest, blobTest, classShapeTest, objectDown, rasterise, type ClassShape, type InsideTest, type Placement } from './shapes.js';

/** The context structure some class shapes are drawn with; classes not listed have none. */
export const COMPANIONS: Partial<Record<ClassShape, 'water' | 'rails'>> = { disc: 'water', triangle: 'rails' };

/** A drawn scene with the bookkeeping the saliency generator needs. */
export interface Scene {
  size: number;
  /** RGB CHW [3,size,size] in [0,1]. */
  image: Float32Array;
  /** True labels [size,size]: 0 background, 1..C. */
  mask: Uint8Array;
  /** Visible object index per pixel, -1 where none. */
  objectOwner: Int16Array;
  /** Class of each object, in drawing order. */
  objectClasses: number[];
  objectPlacements: Placement[];
  /** Distractor index per pixel where a distractor was drawn (objects may hide it), else -1. */
  distractorOwner: Int16Array;
  distractorCount: number;
  /** Per pixel, the object whose companion structure was drawn there (later objects may hide it), else -1. */
  companionOwner: Int16Array;
}

/** Periodic brightness modulation drawn across a region: stripes at a fixed image angle. */
interface Stripes {
  angle: number;
  period: number;
  amplitude: number;
  phase: number;
}

/** Paint `pixels` with a base colour modulated by stripes. */
function paint(image: Float32Array, size: number, pixels: Int32Array, rgb: [number, number, number], stripes: Stripes): void {
  const plane = size * size;
  const kx = (Math.cos(stripes.angle) * 2 * Math.PI) / stripes.period, ky = (Math.sin(stripes.angle) * 2 * Math.PI) / stripes.period;
  for (const p of pixels) {
    const x = p % size, y = (p - x) / size;
    const gain = 1 + stripes.amplitude * Math.sin(kx * x + ky * y + stripes.phase);
    for (let c = 0; c < 3; c++) image[c * plane + p] = rgb[c] * gain;
  }
}

function randomStripes(rng: Rng, size: number, angle: number, amplitude: number): Stripes {
  return { angle, period: (size / 64) * rng.uniform(3.5, 6), amplitude, phase: rng.uniform(0, 2 * Math.PI) };
}

/** Muted background: a tinted grey with a linear gradient and low-frequency texture. */
function drawBackground(image: Float32Array, size: number, rng: Rng): void {
  const plane = size * size;
  const base = hsvToRgb(rng.next(), rng.uniform(0.05, 0.35), rng.uniform(0.3, 0.65));
  const dir = rng.uniform(0, 2 * Math.PI), slope = rng.uniform(0.05, 0.25);
  const gx = (2 * Math.cos(dir)) / size, gy = (2 * Math.sin(dir)) / size;
  const waves = Array.from({ length: 2 }, () => ({
    kx: (2 * Math.PI * rng.normal()) / (size * 0.4),
    ky: (2 * Math.PI * rng.normal()) / (size * 0.4),
    phase: rng.uniform(0, 2 * Math.PI),
  }));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let gain = 1 + slope * (x * gx + y * gy - 1);
      for (const w of waves) gain += 0.05 * Math.sin(w.kx * x + w.ky * y + w.phase);
      for (let c = 0; c < 3; c++) image[c * plane + y * size + x] = base[c] * gain;
    }
  }
  // Faint low-contrast specks: clutter that is not salient.
  for (let i = intIn(rng, 3, 7); i > 0; i--) {
    const at = { cx: rng.uniform(0, size), cy: rng.uniform(0, size), radius: size * rng.uniform(0.03, 0.08), angle: rng.uniform(0, Math.PI) };
    const shade = rng.uniform(0.8, 1.25);
    paint(image, size, rasterise(blobTest(rng.uniform(1, 2), 0.2, 3, rng.uniform(0, 6)), at, size), [base[0] * shade, base[1] * shade, base[2] * shade], randomStripes(rng, size, 0, 0));
  }
}

/** Distractor colour: either achromatic (very bright or very dark) or a hue between two class hues. */
function distractorColour(rng: Rng, numClasses: number): [number, number, number] {
  if (chance(rng, 0.5)) return hsvToRgb(rng.next(), rng.uniform(0, 0.1), chance(rng, 0.5) ? rng.uniform(0.85, 1) : rng.uniform(0.05, 0.2));
  const between = (intIn(rng, 0, numClasses - 1) + 0.5 + rng.uniform(-0.08, 0.08)) / numClasses;
  return hsvToRgb(between, rng.uniform(0.55, 0.9), rng.uniform(0.6, 0.95));
}

function drawDistractors(scene: Scene, rng: Rng, numClasses: number): void {
  const { size } = scene;
  scene.distractorCount = intIn(rng, 1, 3);
  for (let d = 0; d < scene.distractorCount; d++) {
    const isBar = chance(rng, 0.4);
    const test: InsideTest = isBar ? barTest(rng.uniform(0.12, 0.25)) : blobTest(rng.uniform(1.6, 2.8), rng.uniform(0.05, 0.25), intIn(rng, 2, 5), rng.uniform(0, 6));
    const radius = size * (isBar ? rng.uniform(0.15, 0.3) : rng.uniform(0.1, 0.2));
    const at = { cx: rng.uniform(0, size), cy: rng.uniform(0, size), radius, angle: rng.uniform(0, Math.PI) };
    const pixels = rasterise(test, at, size);
    paint(scene.image, size, pixels, distractorColour(rng, numClasses), randomStripes(rng, size, rng.uniform(0, Math.PI), rng.uniform(0, 0.12)));
    for (const p of pixels) scene.distractorOwner[p] = d;
  }
}

/**
 * Place an object where it neither hides much behind earlier objects nor hides much of them,
 * so every object stays recognisable; null when no such place is found.
 */
function placeObject(scene: Scene, rng: Rng, shape: InsideTest): { at: Placement; pixels: Int32Array } | null {
  const { size, objectOwner } = scene;
  const visible = new Int32Array(scene.objectClasses.length);
  for (const k of objectOwner) if (k >= 0) visible[k]++;
  for (let attempt = 0; attempt < 30; attempt++) {
    const radius = size * rng.uniform(0.11, 0.2);
    const margin = radius * 0.9;
    const at = { cx: rng.uniform(margin, size - margin), cy: rng.uniform(margin, size - margin), radius, angle: rng.uniform(0, 2 * Math.PI) };
    const pixels = rasterise(shape, at, size);
    const covered = new Int32Array(visible.length);
    let overlap = 0;
    for (const p of pixels) if (objectOwner[p] >= 0) { covered[objectOwner[p]]++; overlap++; }
    if (pixels.length >= 4 && overlap <= 0.25 * pixels.length && covered.every((n, k) => n <= 0.4 * visible[k])) return { at, pixels };
  }
  return null;
}

/** Flat indices of the pixels inside any of the axis-aligned boxes [x0,x1) x [y0,y1), clipped to the image. */
function boxes(size: number, list: Array<[number, number, number, number]>): Int32Array {
  const inside = new Uint8Array(size * size);
  let count = 0;
  for (const [x0, x1, y0, y1] of list) {
    for (let y = Math.max(0, Math.round(y0)); y < Math.min(size, Math.round(y1)); y++) {
      for (let x = Math.max(0, Math.round(x0)); x < Math.min(size, Math.round(x1)); x++) if (!inside[y * size + x]) { inside[y * size + x] = 1; count++; }
    }
  }
  const out = new Int32Array(count);
  for (let p = 0, n = 0; n < count; p++) if (inside[p]) out[n++] = p;
  return out;
}

/**
 * Draw the companion of object `index` just under its lowest pixel (image "down", as water lies
 * under a boat whatever the boat's pose): a textured band of water, or two rails with ties.
 * Earlier objects stay on top; distractors under it are hidden.
 */
function drawCompanion(scene: Scene, rng: Rng, kind: 'water' | 'rails', index: number, object: Int32Array, at: Placement): void {
  const { size, objectOwner } = scene;
  let bottom = 0;
  for (const p of object) bottom = Math.max(bottom, Math.floor(p / size) + 1);
  const r = at.radius, cx = at.cx;
  let pixels: Int32Array, rgb: [number, number, number], stripes: Stripes;
  if (kind === 'water') {
    const half = r * rng.uniform(1.3, 1.7);
    pixels = boxes(size, [[cx - half, cx + half, bottom - 0.25 * r, bottom + r * rng.uniform(0.55, 0.8)]]);
    rgb = hsvToRgb(rng.uniform(0.55, 0.62), rng.uniform(0.35, 0.6), rng.uniform(0.45, 0.7));
    stripes = randomStripes(rng, size, Math.PI / 2, 0.15);
  } else {
    const half = r * rng.uniform(1.5, 1.9), t = Math.max(1, 0.12 * r), top = bottom + 0.1 * r, low = bottom + 0.55 * r;
    const list: Array<[number, number, number, number]> = [[cx - half, cx + half, top, top + t], [cx - half, cx + half, low, low + t]];
    for (let x = cx - half + 0.2 * r; x < cx + half; x += 0.5 * r) list.push([x, x + t, top, low + t]);
    pixels = boxes(size, list);
    rgb = hsvToRgb(0.08, rng.uniform(0.1, 0.3), rng.uniform(0.15, 0.3));
    stripes = randomStripes(rng, size, 0, 0);
  }
  pixels = pixels.filter((p) => objectOwner[p] < 0);
  paint(scene.image, size, pixels, rgb, stripes);
  for (const p of pixels) {
    scene.companionOwner[p] = index;
    scene.distractorOwner[p] = -1;
  }
}

/**
 * Appearance 'parts': the class colour and stripes only on the object's head, the pixels with v
 * below this cut (object coordinates, radius 1, v down in the shape's own frame: about the upper
 * 40% of a disc), the rest a body of any hue. As in photographs, where a bird's body looks like a mammal's
 * and the head tells them apart, the class evidence then sits in a part: classification alone
 * lights up the head (what CAM is known for), while the saliency map covers the whole object.
 */
export const HEAD_CUT = -0.15;
/** Where an object's class shows: its whole area, or only its head (see HEAD_CUT). */
export type Appearance = 'whole' | 'parts';
/** An object's pixels split into its head (v < HEAD_CUT) and the rest. */
function splitHead(pixels: Int32Array, at: Placement, size: number): [Int32Array, Int32Array] {
  const down = objectDown(at, size);
  const inHead = (p: number) => down(p) < HEAD_CUT;
  return [pixels.filter(inHead), pixels.filter((p) => !inHead(p))];
}

function drawObjects(scene: Scene, rng: Rng, numClasses: number, companionRate: number, appearance: Appearance): void {
  const { size } = scene;
  for (let wanted = intIn(rng, 1, 3), k = 0; k < wanted; k++) {
    const cls = intIn(rng, 1, numClasses);
    const placed = placeObject(scene, rng, classShapeTest(CLASS_SHAPES[cls - 1]));
    if (!placed) continue;
    const companion = COMPANIONS[CLASS_SHAPES[cls - 1]];
    if (companion && chance(rng, companionRate)) drawCompanion(scene, rng, companion, scene.objectClasses.length, placed.pixels, placed.at);
    const hue = (cls - 1 + rng.uniform(-0.15, 0.15)) / numClasses;
    const stripeAngle = ((cls - 1) * Math.PI) / numClasses + rng.uniform(-0.2, 0.2);
    const classLook = (pixels: Int32Array) => paint(scene.image, size, pixels, hsvToRgb(hue, rng.uniform(0.7, 1), rng.uniform(0.7, 1)), randomStripes(rng, size, stripeAngle, rng.uniform(0.06, 0.14)));
    if (appearance === 'parts') {
      const [head, body] = splitHead(placed.pixels, placed.at, size);
      paint(scene.image, size, body, hsvToRgb(rng.uniform(0, 1), rng.uniform(0.25, 0.6), rng.uniform(0.45, 0.85)), randomStripes(rng, size, rng.uniform(0, Math.PI), rng.uniform(0.06, 0.14)));
      classLook(head);
    } else classLook(placed.pixels);
    const index = scene.objectClasses.length;
    for (const p of placed.pixels) {
      scene.mask[p] = cls;
      scene.objectOwner[p] = index;
    }
    scene.objectClasses.push(cls);
    scene.objectPlacements.push(placed.at);
  }
}

/**
 * Draw a complete scene of size x size pixels with objects from classes 1..numClasses; objects of
 * a class with a companion get it with probability `companionRate`.
 */
export function drawScene(rng: Rng, size: number, numClasses: number, companionRate: number, appearance: Appearance = 'whole'): Scene {
  const plane = size * size;
  const scene: Scene = {
    size,
    image: new Float32Array(3 * plane),
    mask: new Uint8Array(plane),
    objectOwner: new Int16Array(plane).fill(-1),
    objectClasses: [],
    objectPlacements: [],
    distractorOwner: new Int16Array(plane).fill(-1),
    distractorCount: 0,
    companionOwner: new Int16Array(plane).fill(-1),
  };
  drawBackground(scene.image, size, rng);
  drawDistractors(scene, rng, numClasses);
  drawObjects(scene, rng, numClasses, companionRate, appearance);
  // Sensor noise over everything, then clamp to the valid range.
  for (let i = 0; i < scene.image.length; i++) scene.image[i] = Math.min(1, Math.max(0, scene.image[i] + 0.02 * rng.normal()));
  return scene;
}
