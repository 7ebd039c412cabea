/**
 * Reader for a VOC-style dataset folder. Opening checks the structure up front (folder, split
 * lists, an image for every listed id, labels.json); pixels are read lazily, one image per
 * `load`, and every problem is a one-line UserError naming the file.
 */
import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { UserError } from '../core/errors.js';
import { exists, readBytes, readText, requireFolder } from './files.js';
import { readImageFile } from './image-file.js';
import { parseLabelsFile, type LabelsFile } from './labels-file.js';
import { decodePngGrey, decodePngLabels } from './png.js';
import { greyToUnit, rgbToChw, type Raster } from './raster.js';
import { IGNORE_LABEL, SALIENCY_ERROR_NAMES, SPLITS, labelsOfMask, type Dataset, type Sample, type Split } from './sample.js';
import { DEFAULT_MAX_PIXELS, downscaleNotice, fitSample } from './size-limit.js';
import { parseSyntheticFile, type SyntheticFile } from './synthetic-file.js';
import { IMAGE_EXTENSIONS, VOC_LAYOUT, checkImageId, imageFilePath, splitListPath } from './voc-layout.js';

/** Ids of a split list, or null when the file does not exist. */
function readSplitList(root: string, split: Split): string[] | null {
  const path = splitListPath(root, split);
  if (!exists(path)) return null;
  const ids: string[] = [];
  const seen = new Set<string>();
  readText(path, 'split list').split(/\r?\n/).forEach((line, i) => {
    const id = line.trim().split(/\s+/)[0]; // VOC lists may carry extra columns
    if (!id) return;
    checkImageId(id, `${path}:${i + 1}`);
    if (seen.has(id)) throw new UserError(`${path}:${i + 1}: image "${id}" is listed twice`);
    seen.add(id);
    ids.push(id);
  });
  return ids;
}

/** Map id -> image file, preferring .jpg over .jpeg over .png when several exist. */
export function indexImages(root: string): Map<string, string> {
  const folder = join(root, VOC_LAYOUT.images);
  requireFolder(folder, 'image folder');
  const rank = (name: string) => IMAGE_EXTENSIONS.indexOf(extname(name).toLowerCase() as (typeof IMAGE_EXTENSIONS)[number]);
  const byId = new Map<string, string>();
  for (const name of readdirSync(folder).sort()) {
    if (rank(name) < 0) continue;
    const id = name.slice(0, -extname(name).length);
    const current = byId.get(id);
    if (current === undefined || rank(name) < rank(current)) byId.set(id, name);
  }
  return new Map([...byId].map(([id, name]) => [id, join(folder, name)]));
}

function checkSameSize(raster: Raster, path: string, image: Raster, imagePath: string, what: string): void {
  if (raster.width !== image.width || raster.height !== image.height) {
    throw new UserError(`${path}: ${what} is ${raster.width}x${raster.height} but image ${imagePath} is ${image.width}x${image.height}`);
  }
}

/** Every mask value must be background, a class 1..numClasses, or ignore. */
function checkMaskValues(mask: Uint8Array, width: number, numClasses: number, path: string): void {
  for (let p = 0; p < mask.length; p++) {
    const v = mask[p];
    if (v > numClasses && v !== IGNORE_LABEL) {
      throw new UserError(`${path}: mask value ${v} at row ${Math.floor(p / width)}, column ${p % width} is outside 0..${numClasses} and ${IGNORE_LABEL}`);
    }
  }
}

/** Without labels.json: labels from the masks, classes named class1..classC (C = largest label seen). */
function labelsFromMasks(root: string, ids: string[]): LabelsFile {
  const images = new Map<string, number[]>();
  let numClasses = 0;
  for (const id of ids) {
    const path = imageFilePath(root, VOC_LAYOUT.masks, id);
    if (!exists(path)) throw new UserError(`${join(root, VOC_LAYOUT.labels)}: not found, and image "${id}" has no mask ${path} to derive its labels from`);
    const labels = labelsOfMask(decodePngLabels(readBytes(path, 'mask'), path).data);
    numClasses = Math.max(numClasses, ...labels);
    images.set(id, labels);
  }
  if (numClasses === 0) throw new UserError(`${join(root, VOC_LAYOUT.labels)}: not found, and the masks contain no class labels`);
  return { classes: Array.from({ length: numClasses }, (_, i) => `class${i + 1}`), images };
}

/** Read the per-pixel error map of a synthetic image, if it was written. */
function readErrorPixels(path: string, image: Raster, imagePath: string): Uint8Array | undefined {
  if (!exists(path)) return undefined;
  const raster = decodePngLabels(readBytes(path, 'saliency error map'), path);
  checkSameSize(raster, path, image, imagePath, 'saliency error map');
  const bad = raster.data.findIndex((v) => v >= SALIENCY_ERROR_NAMES.length);
  if (bad >= 0) throw new UserError(`${path}: error type ${raster.data[bad]} at pixel ${bad} is not one of 0..${SALIENCY_ERROR_NAMES.length - 1}`);
  return raster.data;
}

/** Options of openVocDataset. */
export interface VocOptions {
  /** Images with more pixels are downscaled to fit when loaded (default DEFAULT_MAX_PIXELS). */
  maxPixels?: number;
  /** Receives a one-line notice for each image downscaled (default: none). */
  notice?: (line: string) => void;
}

/**
 * Open a VOC-style dataset folder (docs/formats.md#dataset-folder). train.txt is required; val.txt is
 * checked when `ids('val')` is asked for. labels.json is optional (derived from masks).
 * Images may have any size; one over `maxPixels` is downscaled when loaded (see fitSample).
 */
export function openVocDataset(root: string, options: VocOptions = {}): Dataset {
  const { maxPixels = DEFAULT_MAX_PIXELS, notice } = options;
  if (!(Number.isInteger(maxPixels) && maxPixels >= 1)) throw new RangeError(`openVocDataset: maxPixels must be an integer >= 1, got ${maxPixels}`);
  requireFolder(root, 'dataset folder');
  const images = indexImages(root);
  const lists = new Map<Split, string[]>();
  for (const split of SPLITS) {
    const ids = readSplitList(root, split);
    if (ids === null) continue;
    for (const id of ids) {
      if (!images.has(id)) throw new UserError(`${splitListPath(root, split)}: image "${id}" is listed but ${join(root, VOC_LAYOUT.images, id)}.{jpg,jpeg,png} does not exist`);
    }
    lists.set(split, ids);
  }
  if (!lists.has('train')) throw new UserError(`${splitListPath(root, 'train')}: split list not found`);
  const saliencyFolder = join(root, VOC_LAYOUT.saliency);
  if (!exists(saliencyFolder)) throw new UserError(`${saliencyFolder}: no saliency maps; make them with: epsx saliency --data ${root}`);
  const listed = new Set([...lists.values()].flat());

  const labelsPath = join(root, VOC_LAYOUT.labels);
  const labels = exists(labelsPath) ? parseLabelsFile(readText(labelsPath, 'labels file'), labelsPath) : labelsFromMasks(root, [...listed]);
  const syntheticPath = join(root, VOC_LAYOUT.synthetic);
  const synthetic: SyntheticFile | null = exists(syntheticPath) ? parseSyntheticFile(readText(syntheticPath, 'synthetic record'), syntheticPath) : null;
  const numClasses = labels.classes.length;

  return {
    classes: labels.classes,
    ids(split) {
      const ids = lists.get(split);
      if (!ids) throw new UserError(`${splitListPath(root, split)}: split list not found`);
      return ids.slice();
    },
    load(id): Sample {
      const imagePath = images.get(id);
      if (!listed.has(id) || imagePath === undefined) throw new UserError(`${root}: image "${id}" is in no split list`);
      const image = readImageFile(imagePath);

      const saliencyPath = imageFilePath(root, VOC_LAYOUT.saliency, id);
      const saliency = decodePngGrey(readBytes(saliencyPath, 'saliency map'), saliencyPath);
      checkSameSize(saliency, saliencyPath, image, imagePath, 'saliency map');

      const maskPath = imageFilePath(root, VOC_LAYOUT.masks, id);
      let mask: Uint8Array | undefined;
      if (exists(maskPath)) {
        const raster = decodePngLabels(readBytes(maskPath, 'mask'), maskPath);
        checkSameSize(raster, maskPath, image, imagePath, 'mask');
        checkMaskValues(raster.data, raster.width, numClasses, maskPath);
        mask = raster.data;
      }

      const imageLabels = labels.images.get(id) ?? (mask && labelsOfMask(mask));
      if (!imageLabels) throw new UserError(`${labelsPath}: no labels for image "${id}", and it has no mask ${maskPath}`);

      const sample: Sample = { id, height: image.height, width: image.width, image: rgbToChw(image.data, image.height, image.width), saliency: greyToUnit(saliency.data), labels: imageLabels.slice() };
      if (mask) sample.mask = mask;
      const record = synthetic?.images.get(id);
      if (record) {
        sample.errors = { ...record };
        const pixels = readErrorPixels(imageFilePath(root, VOC_LAYOUT.saliencyErrors, id), image, imagePath);
        if (pixels) sample.errors.pixels = pixels;
      }
      const fitted = fitSample(sample, maxPixels);
      if (fitted !== sample) notice?.(downscaleNotice(imagePath, fitted, maxPixels));
      return fitted;
    },
  };
}
