/** Label masks as files: VOC palette PNGs named <id>.png, written atomically, read back checked. */
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/atomic.js';
import { IGNORE_LABEL, decodePngLabels, encodePalettePng, type Sample } from '../lib/data/index.js';
import { readBytes, requireFolder } from '../lib/data/files.js';
import { maskAtFileSize, maskAtSampleSize } from '../lib/data/size-limit.js';
import { UserError } from '../lib/core/errors.js';

export function maskFile(dir: string, id: string): string {
  return join(dir, `${id}.png`);
}

/** Write one mask [H,W] as an 8-bit PASCAL VOC palette PNG (atomic: never a partial file). */
export function writeMaskPng(path: string, mask: Uint8Array, width: number, height: number): void {
  writeFileAtomic(path, encodePalettePng(width, height, mask));
}

/** Write the mask made for a sample at the size of its image file (see maskAtFileSize). */
export function writeSampleMask(path: string, sample: Pick<Sample, 'height' | 'width' | 'original'>, mask: Uint8Array): void {
  const file = maskAtFileSize(sample, mask);
  writeMaskPng(path, file.mask, file.width, file.height);
}

/**
 * Read the mask of every sample from `dir`: each must exist, match its image's size (the file's,
 * or the sample's when it was downscaled), and hold only 0 (background), 1..numClasses or 255 (ignore).
 */
export function readMasks(dir: string, samples: readonly Sample[], numClasses: number): Map<string, Uint8Array> {
  requireFolder(dir, 'masks folder');
  const masks = new Map<string, Uint8Array>();
  for (const s of samples) {
    const path = maskFile(dir, s.id);
    const raster = decodePngLabels(readBytes(path, `mask of image "${s.id}"`), path);
    const bad = raster.data.findIndex((v) => v > numClasses && v !== IGNORE_LABEL);
    if (bad >= 0) {
      const v = raster.data[bad]!;
      throw new UserError(`${path}: label ${v} at row ${Math.floor(bad / raster.width)}, column ${bad % raster.width} is outside 0..${numClasses} and ${IGNORE_LABEL}`);
    }
    masks.set(s.id, maskAtSampleSize(s, raster, path));
  }
  return masks;
}
