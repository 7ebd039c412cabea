/** `epsx predict`: segment any PNG/JPEG images with a trained segmenter, at their own size. */
import type { CAC } from 'cac';
import { basename, extname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../lib/atomic.js';
import { VOC_PALETTE, encodePngRgb, rgbToChw, type Raster } from '../../lib/data/index.js';
import { readImageFile } from '../../lib/data/image-file.js';
import { UserError } from '../../lib/core/errors.js';
import { predictMasks } from '../../lib/evaluate.js';
import { downscaleNotice, fitImage, maskAtFileSize } from '../../lib/data/size-limit.js';
import { addBackendOption, applyBackend } from '../backend.js';
import { addMaxPixelsOption, maxPixelsOption, printNotice } from '../dataset.js';
import { writeMaskPng } from '../masks.js';
import { openSegmenter } from '../models.js';
import { requireOption, stringOption } from '../options.js';
import { prepareOutputFolder } from '../output.js';
import { terminalProgress } from '../progress.js';

/** Images converted and segmented at a time (their float copies are what costs memory). */
const PREDICT_CHUNK = 16;

/** How strongly the class colours cover the image in the overlay. */
const OVERLAY_ALPHA = 0.5;

interface Job {
  input: string;
  mask: string;
  overlay: string;
}

/** Output names from the input names; refuses two inputs with one name and outputs that would overwrite an input. */
function plan(inputs: readonly string[], out: string): Job[] {
  const jobs = inputs.map((input) => {
    const stem = basename(input, extname(input));
    return { input, mask: join(out, `${stem}.png`), overlay: join(out, `${stem}.overlay.png`) };
  });
  const seen = new Map<string, string>();
  const sources = new Set(inputs.map((p) => resolve(p)));
  for (const job of jobs) {
    for (const target of [job.mask, job.overlay]) {
      const key = resolve(target);
      const other = seen.get(key);
      if (other !== undefined) throw new UserError(`${job.input} and ${other} would both write ${target}: give images with different names`);
      if (sources.has(key)) throw new UserError(`${target}: writing the prediction would overwrite an input image; choose another --out`);
      seen.set(key, job.input);
    }
  }
  return jobs;
}

/** The image with each non-background pixel blended toward its class colour. */
function overlay(image: Raster, mask: Uint8Array): Uint8Array {
  const rgb = Uint8Array.from(image.data);
  for (let p = 0; p < mask.length; p++) {
    const label = mask[p]!;
    if (label === 0) continue;
    for (let k = 0; k < 3; k++) rgb[3 * p + k] = Math.round((1 - OVERLAY_ALPHA) * rgb[3 * p + k]! + OVERLAY_ALPHA * VOC_PALETTE[3 * label + k]!);
  }
  return rgb;
}

export function register(cli: CAC): void {
  const command = cli
    .command('predict <...images>', 'Segment PNG/JPEG images of any size: a VOC palette mask and a colour overlay per image')
    .usage('predict IMAGE... --ckpt FILE --out DIR')
    .option('--ckpt <file>', 'Segmenter checkpoint (from epsx train-seg)')
    .option('--out <dir>', 'Folder for <name>.png (label mask) and <name>.overlay.png (image blended with the mask colours)')
    .example('  epsx predict photo.jpg --ckpt runs/seg.safetensors --out predictions')
    .example('  epsx predict data/shapes/JPEGImages/val_*.png --ckpt runs/seg.safetensors --out predictions --backend cpu');
  addMaxPixelsOption(command);
  addBackendOption(command);
  command.action((images: string[], flags: Record<string, unknown>) => {
    const ckpt = requireOption('--ckpt FILE', stringOption('--ckpt', flags.ckpt), 'predict');
    const out = requireOption('--out DIR', stringOption('--out', flags.out), 'predict');
    const maxPixels = maxPixelsOption(flags.maxPixels);
    applyBackend(flags.backend);
    const jobs = plan(images.map(String), out);
    const model = openSegmenter(ckpt);
    // Decode every image before writing anything: a corrupt one fails the run up front.
    const rasters = jobs.map((job) => readImageFile(job.input));
    prepareOutputFolder('--out', out);

    // Each image is segmented at its own size (or fitted to --max-pixels); images of one size in
    // a chunk share a batch. Chunks keep only a few float copies of the images alive at once.
    const task = terminalProgress().start('predict', jobs.length);
    for (let start = 0; start < jobs.length; start += PREDICT_CHUNK) {
      const chunk = jobs.slice(start, start + PREDICT_CHUNK).map((job, k) => {
        const r = rasters[start + k]!;
        const input = fitImage({ id: String(start + k), height: r.height, width: r.width, image: rgbToChw(r.data, r.height, r.width) }, maxPixels);
        if (input.original) printNotice(downscaleNotice(job.input, input, maxPixels));
        return { job, raster: r, input };
      });
      const masks = predictMasks(model, chunk.map((c) => c.input));
      for (const { job, raster, input } of chunk) {
        const { mask } = maskAtFileSize(input, masks.get(input.id)!);
        writeMaskPng(job.mask, mask, raster.width, raster.height);
        writeFileAtomic(job.overlay, encodePngRgb(raster.width, raster.height, overlay(raster, mask)));
      }
      task.tick(chunk.length);
    }
    task.done();
    console.log(`wrote ${jobs.length} mask${jobs.length === 1 ? '' : 's'} and overlays to ${out}`);
  });
}
