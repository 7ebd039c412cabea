/**
 * Saliency maps for a dataset folder that has none: MB+ on every image of JPEGImages/, written
 * as grey PNGs into Saliency/ (or another folder). The folder appears whole or not at all, and
 * where true masks exist the maps are scored against the true foreground.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { UserError } from '../core/errors.js';
import { writeFolderAtomic } from '../atomic-folder.js';
import { exists, readBytes, readText } from '../data/files.js';
import { parseLabelsFile } from '../data/labels-file.js';
import { readImageFile } from '../data/image-file.js';
import { decodePngLabels, encodePngGrey } from '../data/png.js';
import { rgbToChw, unitToGrey } from '../data/raster.js';
import { VOC_LAYOUT, imageFilePath } from '../data/voc-layout.js';
import { indexImages } from '../data/voc-reader.js';
import { silentProgress, yieldToEventLoop, type ProgressReporter } from '../progress.js';
import { mbPlusSaliency, type MbPlusOptions } from './mbplus.js';
import { SaliencyQualityScore, type SaliencyQuality } from './quality.js';

/** Thrown between two images when the caller asked to stop; nothing has been written. */
export class SaliencyInterrupted extends Error {
  override name = 'SaliencyInterrupted';
}

/** Options of writeSaliencyMaps. */
export interface SaliencyDatasetOptions {
  /** Folder to write (default: the dataset's Saliency folder); must be absent or empty. */
  out?: string;
  /** Settings of the detector (default: the paper's). */
  detector?: MbPlusOptions;
  progress?: ProgressReporter;
  /** Polled between images; true stops the work and discards what was written. */
  stopRequested?: () => boolean;
}

/** What writeSaliencyMaps wrote, and how the maps score where true masks exist. */
export interface SaliencyDatasetResult {
  /** The folder written. */
  out: string;
  /** Number of maps written. */
  images: number;
  /** Null when no image has a true mask. */
  quality: SaliencyQuality | null;
}

/** True when `path` is a folder with something in it. */
function hasEntries(path: string): boolean {
  try {
    return readdirSync(path).length > 0;
  } catch {
    return false; // absent, or a file: writeFolderAtomic says which
  }
}

/** Class names from labels.json when there is one (label c is names[c-1]). */
function classNames(root: string): string[] {
  const path = join(root, VOC_LAYOUT.labels);
  return exists(path) ? parseLabelsFile(readText(path, 'labels file'), path).classes : [];
}

/** Compute and write the saliency map of every image of the dataset at `root`. */
export async function writeSaliencyMaps(root: string, options: SaliencyDatasetOptions = {}): Promise<SaliencyDatasetResult> {
  const images = indexImages(root);
  if (images.size === 0) throw new UserError(`${join(root, VOC_LAYOUT.images)}: no .jpg, .jpeg or .png images`);
  const out = options.out ?? join(root, VOC_LAYOUT.saliency);
  if (options.out === undefined && hasEntries(out)) throw new UserError(`${out}: saliency maps exist already (use --out DIR to write new ones elsewhere)`);
  const { progress = silentProgress, stopRequested = () => false } = options;
  const score = new SaliencyQualityScore();

  await writeFolderAtomic('--out', out, async (dir) => {
    const task = progress.start('saliency maps', images.size);
    for (const [id, path] of images) {
      if (stopRequested()) throw new SaliencyInterrupted('saliency interrupted');
      const raster = readImageFile(path);
      const map = mbPlusSaliency(rgbToChw(raster.data, raster.height, raster.width), raster.height, raster.width, options.detector);
      writeFileAtomic(join(dir, `${id}.png`), encodePngGrey(raster.width, raster.height, unitToGrey(map)));
      const maskPath = imageFilePath(root, VOC_LAYOUT.masks, id);
      if (exists(maskPath)) {
        const mask = decodePngLabels(readBytes(maskPath, 'mask'), maskPath);
        if (mask.width !== raster.width || mask.height !== raster.height) throw new UserError(`${maskPath}: mask is ${mask.width}x${mask.height} but image ${path} is ${raster.width}x${raster.height}`);
        score.add(map, mask.data);
      }
      task.tick();
      await yieldToEventLoop(); // let a Ctrl-C be seen
    }
    task.done();
  });

  return { out, images: images.size, quality: score.summary(classNames(root)) };
}
