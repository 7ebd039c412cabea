/**
 * The in-memory form of a dataset: flat typed arrays, one `Sample` per image, and the
 * `Dataset` interface that both the synthetic generator and the VOC folder reader implement.
 */

/** Which list an image belongs to. */
export type Split = 'train' | 'val';

/** Both splits, in the order they are written and reported. */
export const SPLITS: readonly Split[] = ['train', 'val'];

/** Label value for "ignore" in masks (never a class, never background). */
export const IGNORE_LABEL = 255;

/** Values of the per-pixel saliency error map (`InjectedErrors.pixels`). */
export const SaliencyErrorType = { none: 0, missingClass: 1, missingPart: 2, falseCoverage: 3, context: 4 } as const;

/** Human-readable names of the error types, indexed by their value. */
export const SALIENCY_ERROR_NAMES = ['none', 'missing class', 'missing part', 'false coverage', 'context'] as const;

/** The systematic error model's draws, and what each could have hit, so realised rates can be measured. */
export interface SystematicErrorEvents {
  /** Objects (indices into `objectClasses`) whose companion structure is visible. */
  companions: number[];
  /** Of those, the ones whose companion is marked salient (error type `context`). */
  salientCompanions: number[];
  /** Objects that lost their shape's characteristic part. */
  kindParts: number[];
  /** Objects of a salient class touching the image border or another object. */
  contacts: number[];
  /** Of those, the ones that lost the side at the contact. */
  contactParts: number[];
  /** Visible distractors, and how many of them are marked salient. */
  distractors: number;
  salientDistractors: number;
}

/** What the synthetic generator did wrong on purpose in one saliency map. */
export interface InjectedErrors {
  /** Class (1..C) of every object drawn, in drawing order. */
  objectClasses: number[];
  /** Classes whose objects were all left out of the saliency map (error a). */
  missingClasses: number[];
  /** Indices into `objectClasses` of objects that lost a part of their saliency (error b). */
  partialObjects: number[];
  /** Number of distractors or background patches marked salient (error c). */
  falsePatches: number;
  /** Systematic error model only: its draws (see SystematicErrorEvents). */
  systematic?: SystematicErrorEvents;
  /** Per-pixel error type [H,W] (`SaliencyErrorType`), when known. */
  pixels?: Uint8Array;
}

/** One image with everything the pipeline needs about it. */
export interface Sample {
  id: string;
  height: number;
  width: number;
  /** RGB, CHW [3,H,W], values in [0,1]. */
  image: Float32Array;
  /** Saliency [H,W], values in [0,1]. */
  saliency: Float32Array;
  /** True labels [H,W]: 0 background, 1..C classes, 255 ignore; absent for image-label-only data. */
  mask?: Uint8Array;
  /** Classes present in the image (1..C), ascending. */
  labels: number[];
  /**
   * [H,W]: 1 on image pixels, 0 on padding added by a crop or a batch (which losses skip);
   * absent when every pixel is an image pixel.
   */
  valid?: Uint8Array;
  /** The size of the image file, when it was larger than the size limit and was downscaled to height x width. */
  original?: { height: number; width: number };
  /** Synthetic data only: the saliency errors injected into this image. */
  errors?: InjectedErrors;
}

/** A labelled image collection: class names (label c is classes[c-1]) and two id lists. */
export interface Dataset {
  /** Class names; label c (1..C) names classes[c-1]; background is not listed. */
  readonly classes: string[];
  /** The image ids of a split, in file order. */
  ids(split: Split): string[];
  /** Load (or generate) one image by id; throws UserError for unknown ids or bad files. */
  load(id: string): Sample;
}

/** The classes (1..C) present in a mask, ascending; ignore and background excluded. */
export function labelsOfMask(mask: Uint8Array): number[] {
  const seen = new Uint8Array(256);
  for (let i = 0; i < mask.length; i++) seen[mask[i]] = 1;
  const labels: number[] = [];
  for (let c = 1; c < IGNORE_LABEL; c++) if (seen[c]) labels.push(c);
  return labels;
}
