/**
 * Saliency maps for synthetic scenes: the true foreground, corrupted by the errors of real
 * saliency detectors (missing class, missing object part, false coverage, salient context), then
 * softened (blur) and made noisy. Every corrupted pixel is recorded with its error type.
 *
 * Two error models. `systematic` (the default) makes the mistakes a detector trained on another
 * dataset repeats on every image: it misses some classes most of the time (per-class rates), the
 * same part of a shape, and the side of an object that touches the border or another object;
 * it marks the companion context of a class (water under a boat) and salient-looking distractors.
 * `random` injects each error type per image or object with one rate, regardless of content.
 */
import { gaussianBlur } from './blur.js';
import type { Rng } from '../core/random.js';
import { chance, intIn, pick } from './sampling.js';
import { SaliencyErrorType, type InjectedErrors, type SystematicErrorEvents } from './sample.js';
import { blobTest, objectDown, rasterise } from './shapes.js';
import type { Scene } from './synthetic-scene.js';

/** How often each error of the random model is injected. */
export interface RandomErrorRates {
  /** Per image: all objects of one present class are absent from the saliency map. */
  missingClass: number;
  /** Per object: part of the object (beyond a random cut) is absent from the saliency map. */
  missingObject: number;
  /** Per image: a distractor or a background patch is marked salient. */
  falseCoverage: number;
}

/** How often each error of the systematic model is injected. */
export interface SystematicErrorRates {
  /** Per class (index c-1), per image containing it: the class is absent from the saliency map. */
  classMiss: number[];
  /** Per object of a salient class: its shape's characteristic part (PART_CUT) is absent. */
  partMiss: number;
  /** Per object of a salient class touching the border or another object: the side at the contact is absent. */
  contactMiss: number;
  /** Per visible companion structure: it is marked salient (error type `context`). */
  contextSalient: number;
  /** Per visible distractor: it is marked salient (false coverage). */
  distractorSalient: number;
}

/** Everything the saliency generator needs to know about the error model. */
export interface SaliencyErrorSettings extends RandomErrorRates, SystematicErrorRates {
  errors: 'systematic' | 'random';
}

/**
 * The characteristic part of every shape, in object coordinates (radius 1, v down in the shape's
 * own frame, so the part turns with the object): the pixels with v above this cut, about the
 * lower third, like the legs of a person or the wheels of a car.
 */
export const PART_CUT = 0.3;

/** Depth, in object radii, of the band lost along a contact with the border or another object. */
export const CONTACT_DEPTH = 0.35;

/** Standard deviation and bound of the per-pixel noise added to the blurred map. */
export const SALIENCY_NOISE = { sigma: 0.04, bound: 0.12 };

/** Blur of the map's edges, in pixels, for an image side of `size`. */
export function saliencyBlurSigma(size: number): number {
  return size / 64;
}

/** The injected-error record with its per-pixel map always present. */
type ErrorRecord = InjectedErrors & { pixels: Uint8Array };

/** A saliency map with its binary form before softening and the record of what was injected. */
export interface SyntheticSaliency {
  /** Soft map [size*size] in [0,1]. */
  saliency: Float32Array;
  /** Binary corrupted foreground [size*size]: exactly the truth's foreground flipped where `errors.pixels` is set. */
  salient: Uint8Array;
  errors: ErrorRecord;
}

/** Build the saliency map of a scene and the record of what was injected where. */
export function makeSaliency(scene: Scene, settings: SaliencyErrorSettings, rng: Rng): SyntheticSaliency {
  const { size, mask } = scene;
  const salient = Uint8Array.from(mask, (m) => (m > 0 ? 1 : 0));
  const errors: ErrorRecord = { objectClasses: scene.objectClasses.slice(), missingClasses: [], partialObjects: [], falsePatches: 0, pixels: new Uint8Array(size * size) };
  const mark = (p: number, type: number) => {
    salient[p] ^= 1;
    errors.pixels[p] = type;
  };
  if (settings.errors === 'random') randomErrors(scene, settings, rng, errors, mark);
  else systematicErrors(scene, settings, rng, errors, mark);
  return { saliency: soften(salient, size, rng), salient, errors };
}

/** Detector-like output: soft edges, mild bounded noise, values in [0,1]. */
function soften(salient: Uint8Array, size: number, rng: Rng): Float32Array {
  const soft = gaussianBlur(Float32Array.from(salient), size, size, saliencyBlurSigma(size));
  const { sigma, bound } = SALIENCY_NOISE;
  for (let p = 0; p < soft.length; p++) soft[p] = Math.min(1, Math.max(0, soft[p] + Math.min(bound, Math.max(-bound, sigma * rng.normal()))));
  return soft;
}

type Mark = (p: number, type: number) => void;

/** Unmark every pixel of the classes in `classes`. */
function dropClasses(scene: Scene, classes: number[], mark: Mark): void {
  if (classes.length === 0) return;
  for (let p = 0; p < scene.mask.length; p++) if (scene.mask[p] > 0 && classes.includes(scene.mask[p])) mark(p, SaliencyErrorType.missingClass);
}

function randomErrors(scene: Scene, rates: RandomErrorRates, rng: Rng, errors: ErrorRecord, mark: Mark): void {
  const { size, mask, objectOwner } = scene;
  const present = [...new Set(scene.objectClasses)].sort((a, b) => a - b);
  if (present.length > 0 && chance(rng, rates.missingClass)) errors.missingClasses.push(pick(rng, present));
  dropClasses(scene, errors.missingClasses, mark);

  scene.objectPlacements.forEach((at, k) => {
    if (errors.missingClasses.includes(scene.objectClasses[k]) || !chance(rng, rates.missingObject)) return;
    // Cut the object by a random line; the far side (30-70% of a disc) loses its saliency.
    const dir = rng.uniform(0, 2 * Math.PI), offset = at.radius * rng.uniform(-0.3, 0.3);
    const nx = Math.cos(dir), ny = Math.sin(dir);
    let removed = 0;
    for (let p = 0; p < mask.length; p++) {
      if (objectOwner[p] !== k) continue;
      const x = p % size, y = (p - x) / size;
      if ((x + 0.5 - at.cx) * nx + (y + 0.5 - at.cy) * ny > offset) { mark(p, SaliencyErrorType.missingPart); removed++; }
    }
    if (removed > 0) errors.partialObjects.push(k);
  });

  if (chance(rng, rates.falseCoverage)) {
    let added = 0;
    const patch = falsePatch(scene, rng);
    for (let i = 0; i < patch.length; i++) if (mask[patch[i]] === 0) { mark(patch[i], SaliencyErrorType.falseCoverage); added++; }
    if (added > 0) errors.falsePatches = 1;
  }
}

/** Pixels of a wrongly salient region: a visible distractor when there is one (60%), else a background blob. */
function falsePatch(scene: Scene, rng: Rng): ArrayLike<number> {
  const { size } = scene;
  const visible = visibleDistractors(scene);
  if (visible.length > 0 && chance(rng, 0.6)) return distractorPixels(scene, pick(rng, visible));
  const radius = size * rng.uniform(0.1, 0.2);
  const at = { cx: rng.uniform(radius, size - radius), cy: rng.uniform(radius, size - radius), radius, angle: rng.uniform(0, Math.PI) };
  return rasterise(blobTest(rng.uniform(1, 1.8), rng.uniform(0, 0.2), intIn(rng, 2, 4), rng.uniform(0, 6)), at, size);
}

/** Distractors with at least one pixel that no object hides, ascending. */
function visibleDistractors(scene: Scene): number[] {
  const { mask, distractorOwner } = scene;
  const visible = new Uint8Array(scene.distractorCount);
  for (let p = 0; p < mask.length; p++) if (distractorOwner[p] >= 0 && mask[p] === 0) visible[distractorOwner[p]] = 1;
  return [...visible.keys()].filter((d) => visible[d]);
}

/** Every pixel where distractor d was drawn (objects may hide some). */
function distractorPixels(scene: Scene, d: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < scene.distractorOwner.length; p++) if (scene.distractorOwner[p] === d) out.push(p);
  return out;
}

function systematicErrors(scene: Scene, rates: SystematicErrorRates, rng: Rng, errors: ErrorRecord, mark: Mark): void {
  const { mask, objectClasses } = scene;
  const events: SystematicErrorEvents = { companions: [], salientCompanions: [], kindParts: [], contacts: [], contactParts: [], distractors: 0, salientDistractors: 0 };
  errors.systematic = events;

  // Missing classes: one draw per class present, at that class's own rate.
  for (const cls of [...new Set(objectClasses)].sort((a, b) => a - b)) if (chance(rng, rates.classMiss[cls - 1])) errors.missingClasses.push(cls);
  dropClasses(scene, errors.missingClasses, mark);

  // Missing parts: the shape's characteristic part, and the side at a contact.
  const contacts = contactPixels(scene);
  scene.objectPlacements.forEach((at, k) => {
    if (errors.missingClasses.includes(objectClasses[k])) return;
    let removed = 0;
    if (chance(rng, rates.partMiss)) {
      events.kindParts.push(k);
      const down = objectDown(at, scene.size);
      for (let p = 0; p < mask.length; p++) {
        if (scene.objectOwner[p] !== k) continue;
        if (down(p) > PART_CUT) { mark(p, SaliencyErrorType.missingPart); removed++; }
      }
    }
    if (contacts[k].length > 0) {
      events.contacts.push(k);
      if (chance(rng, rates.contactMiss)) {
        events.contactParts.push(k);
        for (const p of bandFrom(scene, k, contacts[k], Math.max(1, Math.round(CONTACT_DEPTH * at.radius)))) {
          if (errors.pixels[p] === SaliencyErrorType.none) { mark(p, SaliencyErrorType.missingPart); removed++; }
        }
      }
    }
    if (removed > 0) errors.partialObjects.push(k);
  });

  // Context: each visible companion is marked salient at one rate.
  const companionPixels = objectClasses.map((): number[] => []);
  for (let p = 0; p < mask.length; p++) if (scene.companionOwner[p] >= 0 && mask[p] === 0) companionPixels[scene.companionOwner[p]].push(p);
  companionPixels.forEach((pixels, k) => {
    if (pixels.length === 0) return;
    events.companions.push(k);
    if (!chance(rng, rates.contextSalient)) return;
    events.salientCompanions.push(k);
    for (const p of pixels) mark(p, SaliencyErrorType.context);
  });

  // False coverage: each visible distractor is marked salient at one rate.
  for (const d of visibleDistractors(scene)) {
    events.distractors++;
    if (!chance(rng, rates.distractorSalient)) continue;
    events.salientDistractors++;
    for (const p of distractorPixels(scene, d)) if (mask[p] === 0) mark(p, SaliencyErrorType.falseCoverage);
  }
  errors.falsePatches = events.salientDistractors;
}

/** Per object, its visible pixels on the image border or 4-adjacent to another object's pixel. */
function contactPixels(scene: Scene): number[][] {
  const { size, objectOwner } = scene;
  const out = scene.objectClasses.map((): number[] => []);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const p = y * size + x, k = objectOwner[p];
      if (k < 0) continue;
      if (x === 0 || y === 0 || x === size - 1 || y === size - 1) out[k].push(p);
      else for (const q of [p - 1, p + 1, p - size, p + size]) if (objectOwner[q] >= 0 && objectOwner[q] !== k) { out[k].push(p); break; }
    }
  }
  return out;
}

/** Pixels of object k within `depth` 4-connected steps (inside the object) of the `seeds`. */
function bandFrom(scene: Scene, k: number, seeds: number[], depth: number): number[] {
  const { size, objectOwner } = scene;
  const dist = new Map<number, number>(seeds.map((p) => [p, 0]));
  const queue = seeds.slice();
  for (let i = 0; i < queue.length; i++) {
    const p = queue[i], d = dist.get(p)!;
    if (d + 1 >= depth) continue;
    const x = p % size;
    for (const q of [x > 0 ? p - 1 : -1, x < size - 1 ? p + 1 : -1, p - size, p + size]) {
      if (q < 0 || q >= objectOwner.length || objectOwner[q] !== k || dist.has(q)) continue;
      dist.set(q, d + 1);
      queue.push(q);
    }
  }
  return queue;
}
