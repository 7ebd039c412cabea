/**
 * Writer for a VOC-style dataset folder. Every file is written atomically; the split lists are
 * removed first and written last, so an interrupted write never leaves a folder that reads as
 * a complete dataset.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { UserError } from '../core/errors.js';
import { silentProgress, type ProgressReporter } from '../progress.js';
import { formatLabelsFile } from './labels-file.js';
import { encodePalettePng } from './png-palette.js';
import { encodePngGrey, encodePngRgb } from './png.js';
import { chwToRgb, unitToGrey } from './raster.js';
import { SPLITS, type Dataset, type InjectedErrors, type Sample, type Split } from './sample.js';
import { formatSyntheticFile } from './synthetic-file.js';
import { IMAGE_EXTENSIONS, VOC_LAYOUT, checkImageId, imageFilePath, splitListPath } from './voc-layout.js';

/** Options of `writeVocDataset`. */
export interface WriteVocOptions {
  /** Generator settings to record in synthetic.json (written when any sample has `errors`). */
  generator?: Record<string, unknown>;
  /** Called after each image is written (e.g. to gather statistics). */
  onSample?: (sample: Sample, split: Split) => void;
  /** Progress of the image writes (default: silent). */
  progress?: ProgressReporter;
}

function makeFolder(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    throw new UserError(`cannot create folder ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function checkSampleShape(s: Sample): void {
  const plane = s.height * s.width;
  const ok = s.image.length === 3 * plane && s.saliency.length === plane && (!s.mask || s.mask.length === plane) && (!s.errors?.pixels || s.errors.pixels.length === plane);
  if (!ok) throw new RangeError(`writeVocDataset: arrays of sample "${s.id}" do not match its size ${s.width}x${s.height}`);
}

/** Write one image's files; a missing mask or error map removes any stale one of the same id. */
function writeSampleFiles(root: string, s: Sample): void {
  for (const ext of IMAGE_EXTENSIONS) if (ext !== '.png') rmSync(imageFilePath(root, VOC_LAYOUT.images, s.id, ext), { force: true });
  writeFileAtomic(imageFilePath(root, VOC_LAYOUT.images, s.id), encodePngRgb(s.width, s.height, chwToRgb(s.image, s.height, s.width)));
  writeFileAtomic(imageFilePath(root, VOC_LAYOUT.saliency, s.id), encodePngGrey(s.width, s.height, unitToGrey(s.saliency)));
  const optional: Array<[string, Uint8Array | undefined]> = [
    [VOC_LAYOUT.masks, s.mask],
    [VOC_LAYOUT.saliencyErrors, s.errors?.pixels],
  ];
  for (const [folder, indices] of optional) {
    const path = imageFilePath(root, folder, s.id);
    if (indices) {
      makeFolder(dirname(path)); // created on first use: image-label-only data has no masks
      writeFileAtomic(path, encodePalettePng(s.width, s.height, indices));
    } else rmSync(path, { force: true });
  }
}

/**
 * Write `dataset` (both splits) as a VOC-style folder at `root`: images as RGB PNG, saliency
 * as grey PNG, masks and error maps as VOC palette PNG, labels.json, synthetic.json, split lists.
 */
export function writeVocDataset(root: string, dataset: Dataset, options: WriteVocOptions = {}): void {
  const lists = SPLITS.map((split) => ({ split, ids: dataset.ids(split) }));
  const order = new Map<string, Split>(); // each id written once, under its first split
  for (const { split, ids } of lists) for (const id of ids) if (!order.has(id)) order.set(id, split);
  for (const id of order.keys()) checkImageId(id, root);

  for (const folder of [VOC_LAYOUT.images, VOC_LAYOUT.saliency, VOC_LAYOUT.splits]) makeFolder(join(root, folder));
  for (const split of SPLITS) rmSync(splitListPath(root, split), { force: true });

  const labels = new Map<string, number[]>();
  const errors = new Map<string, InjectedErrors>();
  const task = (options.progress ?? silentProgress).start('write dataset', order.size);
  for (const [id, split] of order) {
    const sample = dataset.load(id);
    checkSampleShape(sample);
    writeSampleFiles(root, sample);
    labels.set(id, sample.labels);
    if (sample.errors) errors.set(id, sample.errors);
    options.onSample?.(sample, split);
    task.tick();
  }
  task.done();

  writeFileAtomic(join(root, VOC_LAYOUT.labels), formatLabelsFile({ classes: dataset.classes, images: labels }));
  const syntheticPath = join(root, VOC_LAYOUT.synthetic);
  if (errors.size > 0) writeFileAtomic(syntheticPath, formatSyntheticFile({ generator: options.generator ?? {}, images: errors }));
  else rmSync(syntheticPath, { force: true });
  for (const { split, ids } of lists) writeFileAtomic(splitListPath(root, split), ids.map((id) => id + '\n').join(''));
}
