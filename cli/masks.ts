/** Label masks as files: VOC palette PNGs named <id>.png, written atomically, read back checked. */
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/atomic.js';
import { IGNORE_LABEL, decodePngLabels, encodePalettePng, type Sample } from '../lib/data/index.js';
import { readBytes, requireFolder } from '../lib/data/files.js';
import { UserError } from '../lib/errors.js';

export function maskFile(dir: string, id: string): string {
  return join(dir, `${id}.png`);
}

/** Write one mask [H,W] as an 8-bit PASCAL VOC palette PNG (atomic: never a partial file). */
export function writeMaskPng(path: string, mask: Uint8Array, width: number, height: number): void {
  writeFileAtomic(path, encodePalettePng(width, height, mask));
}

/**
 * Read the mask of every sample from `dir`: each must exist, match its image's size, and hold
 * only 0 (background), 1..numClasses or 255 (ignore).
 */
export function readMasks(dir: string, samples: readonly Sample[], numClasses: number): Map<string, Uint8Array> {
  requireFolder(dir, 'masks folder');
  const masks = new Map<string, Uint8Array>();
  for (const s of samples) {
    const path = maskFile(dir, s.id);
    const raster = decodePngLabels(readBytes(path, `mask of image "${s.id}"`), path);
    if (raster.width !== s.width || raster.height !== s.height) {
      throw new UserError(`${path}: mask is ${raster.width}x${raster.height} but image "${s.id}" is ${s.width}x${s.height}`);
    }
    const bad = raster.data.findIndex((v) => v > numClasses && v !== IGNORE_LABEL);
    if (bad >= 0) {
      const v = raster.data[bad]!;
      throw new UserError(`${path}: label ${v} at row ${Math.floor(bad / s.width)}, column ${bad % s.width} is outside 0..${numClasses} and ${IGNORE_LABEL}`);
    }
    masks.set(s.id, raster.data);
  }
  return masks;
}
