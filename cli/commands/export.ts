/**
 * `epsx export`: what a PyTorch training at full VOC/COCO scale consumes. Pseudo-masks in the
 * VOC SegmentationClassAug layout with its list files, and/or a classifier or segmenter as
 * safetensors plus model.py, a PyTorch module that builds the same network with the same
 * parameter names. The output folder appears complete or not at all.
 */
import type { CAC } from 'cac';
import { UserError } from '../../lib/core/errors.js';
import { openVocDataset } from '../../lib/data/voc-reader.js';
import { AUG_LAYOUT, ExportInterrupted, MODEL_FILES, checkNewFolder, exportMasks, exportModel, writeFolderAtomic } from '../../lib/export/index.js';
import { catchingInterrupts, reportStopped, Stopped } from '../interrupt.js';
import { requireOption, stringOption } from '../options.js';
import { terminalProgress } from '../progress.js';
import { join } from 'node:path';

export function register(cli: CAC): void {
  cli
    .command('export', 'Write pseudo-masks (VOC SegmentationClassAug layout) and/or a model (safetensors + PyTorch model.py) for training at scale')
    .usage('export --out DIR [--data DIR --masks DIR] [--ckpt FILE]')
    .option('--out <dir>', 'New folder to write (absent or empty)')
    .option('--data <dir>', 'Dataset folder in the VOC layout the masks were made for (its images, split lists and val masks)')
    .option('--masks <dir>', 'Pseudo-masks of the train split, <id>.png each (from epsx pseudo or epsx run)')
    .option('--ckpt <file>', 'Classifier or segmenter checkpoint to export with its PyTorch module')
    .example('  epsx export --data data/shapes --masks runs/NAME/pseudo/epspp --ckpt runs/NAME/checkpoints/classifier-epspp.safetensors --out export/shapes')
    .example('  epsx export --ckpt runs/NAME/checkpoints/segmenter-wsss.safetensors --out export/seg')
    .action(async (flags: Record<string, unknown>) => {
      const out = requireOption('--out DIR', stringOption('--out', flags.out), 'export');
      const data = stringOption('--data', flags.data);
      const masks = stringOption('--masks', flags.masks);
      const ckpt = stringOption('--ckpt', flags.ckpt);
      if (masks === undefined && ckpt === undefined) throw new UserError('export needs --masks DIR (with --data DIR) or --ckpt FILE, or both');
      if (masks !== undefined && data === undefined) throw new UserError('export --masks needs --data DIR, the dataset the masks were made for (for the built-in synthetic set, write it with epsx synth --out DIR)');
      checkNewFolder('--out', out);
      // Class names for model.py when the checkpoint does not record them.
      const classes = data === undefined ? undefined : openVocDataset(data).classes;

      // The model first: a wrong checkpoint is refused before the masks are converted.
      const written = await catchingInterrupts((stopRequested) =>
        writeFolderAtomic('--out', out, async (dir) => ({
          model: ckpt === undefined ? undefined : exportModel(ckpt, dir, classes),
          masks: masks === undefined ? undefined : await exportMasks(data!, masks, dir, { progress: terminalProgress(), stopRequested }),
        })),
      ).catch((e) => reportStopped(e instanceof ExportInterrupted ? new Stopped(`export interrupted: nothing written to ${out}`) : e));
      if (written === undefined) return;
      if (written.masks) {
        const { train, val, valWithoutMask } = written.masks;
        const skipped = valWithoutMask > 0 ? ` (${valWithoutMask} val image(s) without a true mask left out)` : '';
        console.log(`wrote ${train} train pseudo-mask(s) and ${val} val mask(s)${skipped} as ${join(out, AUG_LAYOUT.masks)}/<id>.png, lists in ${join(out, 'ImageSets')}`);
      }
      if (written.model) {
        const { kind, tensors, parameters } = written.model;
        console.log(`wrote the ${kind} (${tensors} tensors, ${parameters} parameters) as ${join(out, MODEL_FILES.weights)} and its PyTorch module ${join(out, MODEL_FILES.module)}`);
        console.log(`load it with a python3 that has torch: cd ${out} && python3 -c "import model; net = model.load()"`);
      }
    });
}
