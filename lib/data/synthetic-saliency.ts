/**
 * Saliency maps for synthetic scenes: the true foreground, corrupted by the three systematic
 * errors of real saliency detectors (missing class, missing object part, false coverage), then
 * softened (blur) and made noisy. Every corrupted pixel is recorded with its error type.
 */
import { gaussianBlur } from './blur.js';
import type { Rng } from '../random.js';
import { chance, intIn, pick } from './sampling.js';
import { SaliencyErrorType, type InjectedErrors } from './sample.js';
import { blobTest, rasterise } from './shapes.js';
import type { Scene } from './synthetic-scene.js';

/** How often each error is injected. */
export interface SaliencyErrorRates {
  /** Per image: all objects of one present class are absent from the saliency map. */
  missingClass: number;
  /** Per object: part of the object is absent from the saliency map. */
  missingObject: number;
  /** Per image: a distractor or a background patch is marked salient. */
  falseCoverage: number;
}

/** Build the saliency map of a scene and the record of what was injected where. */
export function makeSaliency(scene: Scene, rates: SaliencyErrorRates, rng: Rng): { saliency: Float32Array; errors: InjectedErrors } {
  const { size, mask, objectOwner } = scene;
  const salient = Uint8Array.from(mask, (m) => (m > 0 ? 1 : 0));
  const pixels = new Uint8Array(size * size);
  const errors: InjectedErrors = { objectClasses: scene.objectClasses.slice(), missingClasses: [], partialObjects: [], falsePatches: 0, pixels };

  const present = [...new Set(scene.objectClasses)].sort((a, b) => a - b);
  if (present.length > 0 && chance(rng, rates.missingClass)) {
    const cls = pick(rng, present);
    errors.missingClasses.push(cls);
    for (let p = 0; p < mask.length; p++) if (mask[p] === cls) { salient[p] = 0; pixels[p] = SaliencyErrorType.missingClass; }
  }

  scene.objectPlacements.forEach((at, k) => {
    if (errors.missingClasses.includes(scene.objectClasses[k]) || !chance(rng, rates.missingObject)) return;
    // Cut the object by a random line; the far side (30-70% of a disc) loses its saliency.
    const dir = rng.uniform(0, 2 * Math.PI), offset = at.radius * rng.uniform(-0.3, 0.3);
    const nx = Math.cos(dir), ny = Math.sin(dir);
    let removed = 0;
    for (let p = 0; p < mask.length; p++) {
      if (objectOwner[p] !== k) continue;
      const x = p % size, y = (p - x) / size;
      if ((x + 0.5 - at.cx) * nx + (y + 0.5 - at.cy) * ny > offset) { salient[p] = 0; pixels[p] = SaliencyErrorType.missingPart; removed++; }
    }
    if (removed > 0) errors.partialObjects.push(k);
  });

  if (chance(rng, rates.falseCoverage)) {
    const patch = falsePatch(scene, rng);
    let added = 0;
    for (const p of patch) if (mask[p] === 0) { salient[p] = 1; pixels[p] = SaliencyErrorType.falseCoverage; added++; }
    if (added > 0) errors.falsePatches = 1;
  }

  // Detector-like output: soft edges, mild noise, values in [0,1].
  const soft = gaussianBlur(Float32Array.from(salient), size, size, size / 64);
  for (let p = 0; p < soft.length; p++) soft[p] = Math.min(1, Math.max(0, soft[p] + 0.04 * rng.normal()));
  return { saliency: soft, errors };
}

/** Pixels of a wrongly salient region: a visible distractor when there is one (60%), else a background blob. */
function falsePatch(scene: Scene, rng: Rng): Int32Array {
  const { size, mask, distractorOwner } = scene;
  const visibleDistractors = [...new Set(Array.from(distractorOwner).filter((d, p) => d >= 0 && mask[p] === 0))];
  if (visibleDistractors.length > 0 && chance(rng, 0.6)) {
    const d = pick(rng, visibleDistractors);
    return Int32Array.from(distractorOwner.keys()).filter((p) => distractorOwner[p] === d);
  }
  const radius = size * rng.uniform(0.1, 0.2);
  const at = { cx: rng.uniform(radius, size - radius), cy: rng.uniform(radius, size - radius), radius, angle: rng.uniform(0, Math.PI) };
  return rasterise(blobTest(rng.uniform(1, 1.8), rng.uniform(0, 0.2), intIn(rng, 2, 4), rng.uniform(0, 6)), at, size);
}
