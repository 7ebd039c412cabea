/** Paths inside a VOC-style dataset folder (docs/formats.md#dataset-folder). */
import { join } from 'node:path';
import { UserError } from '../core/errors.js';
import type { Split } from './sample.js';

/** Sub-folders and files of a dataset folder, relative to its root. */
export const VOC_LAYOUT = {
  images: 'JPEGImages',
  masks: 'SegmentationClass',
  saliency: 'Saliency',
  /** Per-pixel injected saliency error types (synthetic data only). */
  saliencyErrors: 'SaliencyErrors',
  splits: join('ImageSets', 'Segmentation'),
  labels: 'labels.json',
  synthetic: 'synthetic.json',
} as const;

/** Image file extensions we read, in order of preference. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'] as const;

/** Path of a split list (ImageSets/Segmentation/<split>.txt). */
export function splitListPath(root: string, split: Split): string {
  return join(root, VOC_LAYOUT.splits, `${split}.txt`);
}

/** Path of a per-image file in one of the layout folders, e.g. Saliency/<id>.png. */
export function imageFilePath(root: string, folder: string, id: string, extension = '.png'): string {
  return join(root, folder, id + extension);
}

const SAFE_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Ids become file names: allow letters, digits, '.', '_' and '-' only (no paths, no hidden files). */
export function checkImageId(id: string, where: string): void {
  if (!SAFE_ID.test(id)) throw new UserError(`${where}: image id "${id}" may only use letters, digits, '.', '_' and '-'`);
}
