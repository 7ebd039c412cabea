/**
 * Pseudo-masks in the layout that PyTorch segmentation code reads for PASCAL VOC "train_aug"
 * (the SegmentationClassAug convention):
 *
 *   JPEGImages/<id>.jpg|png                   the images (hard links where possible, else copies)
 *   SegmentationClassAug/<id>.png             8-bit VOC palette masks: pseudo-masks for train
 *                                             ids, the true masks for val ids that have one
 *   ImageSets/SegmentationAug/train_aug.txt   "JPEGImages/<id>.jpg SegmentationClassAug/<id>.png"
 *   ImageSets/SegmentationAug/val.txt         the same, for val
 *   ImageSets/Segmentation/train_aug.txt      plain ids, one a line
 *   ImageSets/Segmentation/val.txt
 *   labels.json                               copied from the dataset, when it has one
 *
 * Labels keep epsx's convention, which is VOC's: 0 background, c = class c, 255 ignore.
 */
import { copyFileSync, linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../core/errors.js';
import { silentProgress, yieldToEventLoop, type ProgressReporter } from '../progress.js';
import { exists, readBytes, requireFolder } from '../data/files.js';
import { readJpegHeader } from '../data/jpeg.js';
import { readPngHeader } from '../data/png-chunks.js';
import { decodePngLabels } from '../data/png.js';
import { encodePalettePng } from '../data/png-palette.js';
import { IGNORE_LABEL } from '../data/sample.js';
import { indexImages, openVocDataset } from '../data/voc-reader.js';
import { VOC_LAYOUT, imageFilePath, splitListPath } from '../data/voc-layout.js';

/** Folder and list names of the exported layout, relative to its root. */
export const AUG_LAYOUT = {
  images: 'JPEGImages',
  masks: 'SegmentationClassAug',
  pairLists: join('ImageSets', 'SegmentationAug'),
  idLists: join('ImageSets', 'Segmentation'),
  trainList: 'train_aug.txt',
  valList: 'val.txt',
} as const;

/** How many masks went into each list, and the val ids left out for want of a true mask. */
export interface MaskExportSummary {
  train: number;
  val: number;
  valWithoutMask: number;
}

/** Thrown by exportMasks when asked to stop; the caller's folder is then discarded whole. */
export class ExportInterrupted extends Error {
  override name = 'ExportInterrupted';
}

/** Progress of the mask export, and a way to stop it between two files (Ctrl-C). */
export interface MaskExportOptions {
  progress?: ProgressReporter;
  stopRequested?: () => boolean;
}

/** Width and height from the file's header (PNG or JPEG, by content), without decoding pixels. */
function imageSize(path: string): { width: number; height: number } {
  const bytes = readBytes(path, 'image');
  return bytes[0] === 0x89 && bytes[1] === 0x50 ? readPngHeader(bytes, path) : readJpegHeader(bytes, path);
}

/** Read a label PNG, check it against its image and the class count, write it as a palette PNG. */
function exportMask(src: string, what: string, imagePath: string, numClasses: number, dst: string): void {
  const mask = decodePngLabels(readBytes(src, what), src);
  const image = imageSize(imagePath);
  if (mask.width !== image.width || mask.height !== image.height) {
    throw new UserError(`${src}: ${what} is ${mask.width}x${mask.height} but image ${imagePath} is ${image.width}x${image.height}`);
  }
  const bad = mask.data.findIndex((v) => v > numClasses && v !== IGNORE_LABEL);
  if (bad >= 0) throw new UserError(`${src}: label ${mask.data[bad]} at row ${Math.floor(bad / mask.width)}, column ${bad % mask.width} is outside 0..${numClasses} and ${IGNORE_LABEL}`);
  writeFileSync(dst, encodePalettePng(mask.width, mask.height, mask.data));
}

/** A hard link costs no space; across file systems (or where links are refused) a copy. */
function linkOrCopy(src: string, dst: string): void {
  try {
    linkSync(src, dst);
  } catch {
    copyFileSync(src, dst);
  }
}

/**
 * Write the layout above into `out` (an empty folder; the caller makes the export atomic):
 * every train id of the dataset at `dataDir` with its pseudo-mask from `masksDir` (all must
 * exist, have the image's size and hold only 0..C and 255), and every val id that has a true
 * mask in the dataset.
 */
export async function exportMasks(dataDir: string, masksDir: string, out: string, opts: MaskExportOptions = {}): Promise<MaskExportSummary> {
  const { progress = silentProgress, stopRequested = () => false } = opts;
  const dataset = openVocDataset(dataDir);
  requireFolder(masksDir, 'masks folder');
  const images = indexImages(dataDir);
  const numClasses = dataset.classes.length;
  for (const dir of Object.values(AUG_LAYOUT).filter((p) => !p.endsWith('.txt'))) mkdirSync(join(out, dir), { recursive: true });

  const write = async (ids: string[], maskOf: (id: string) => { path: string; what: string }) => {
    const pairs: string[] = [];
    for (const id of ids) {
      // Let a pending SIGINT handler run, then honour it: a VOC-sized export takes minutes.
      await yieldToEventLoop();
      if (stopRequested()) throw new ExportInterrupted('export interrupted');
      const imagePath = images.get(id)!; // the reader checked that every listed id has an image
      const image = `${AUG_LAYOUT.images}/${basename(imagePath)}`;
      const mask = `${AUG_LAYOUT.masks}/${id}.png`;
      const { path, what } = maskOf(id);
      exportMask(path, what, imagePath, numClasses, join(out, mask));
      linkOrCopy(imagePath, join(out, image));
      pairs.push(`${image} ${mask}`);
      task.tick();
    }
    return pairs;
  };
  const lists = (name: string, ids: string[], pairs: string[]) => {
    writeFileSync(join(out, AUG_LAYOUT.pairLists, name), pairs.map((l) => `${l}\n`).join(''));
    writeFileSync(join(out, AUG_LAYOUT.idLists, name), ids.map((id) => `${id}\n`).join(''));
  };

  const trainIds = dataset.ids('train');
  const allVal = exists(splitListPath(dataDir, 'val')) ? dataset.ids('val') : [];
  const trueMask = (id: string) => imageFilePath(dataDir, VOC_LAYOUT.masks, id);
  const overlap = allVal.find((id) => trainIds.includes(id));
  if (overlap !== undefined) throw new UserError(`${splitListPath(dataDir, 'val')}: image "${overlap}" is also in the train list (its pseudo-mask and true mask would share one file)`);
  const valIds = allVal.filter((id) => exists(trueMask(id)));

  const task = progress.start('export masks', trainIds.length + valIds.length);
  lists(AUG_LAYOUT.trainList, trainIds, await write(trainIds, (id) => ({ path: join(masksDir, `${id}.png`), what: `pseudo-mask of image "${id}"` })));
  if (allVal.length > 0) lists(AUG_LAYOUT.valList, valIds, await write(valIds, (id) => ({ path: trueMask(id), what: 'mask' })));

  const labels = join(dataDir, VOC_LAYOUT.labels);
  if (exists(labels)) copyFileSync(labels, join(out, VOC_LAYOUT.labels));
  task.done();
  return { train: trainIds.length, val: valIds.length, valWithoutMask: allVal.length - valIds.length };
}
