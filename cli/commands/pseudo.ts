/** `epsx pseudo`: pseudo-masks for a split from a trained classifier, as VOC palette PNGs. */
import type { CAC } from 'cac';
import { scoreMasks } from '../../lib/evaluate.js';
import { makePseudoMasks } from '../../lib/pseudo-dataset.js';
import { addBackendOption, applyBackend } from '../backend.js';
import { addDataOption, addSplitOption, loadSplit, maxPixelsOption, openData, skippedNote, splitOption } from '../dataset.js';
import { formatIouTable } from '../iou.js';
import { maskFile, writeSampleMask } from '../masks.js';
import { openClassifier } from '../models.js';
import { requireOption, stringOption } from '../options.js';
import { prepareOutputFolder } from '../output.js';
import { terminalProgress } from '../progress.js';
import { addPseudoOptions, pseudoOptions } from '../pseudo-options.js';
import { secondsSince } from '../elapsed.js';

export function register(cli: CAC): void {
  const command = cli
    .command('pseudo', 'Make pseudo-masks from a trained classifier and image-level labels')
    .usage('pseudo --ckpt FILE --out DIR [--data DIR] [options]');
  addDataOption(command);
  command
    .option('--ckpt <file>', 'Classifier checkpoint (from epsx train-cls)')
    .option('--out <dir>', 'Folder for the masks, one <id>.png each (VOC palette)');
  addSplitOption(command, 'train');
  addPseudoOptions(command);
  addBackendOption(command);
  command
    .example('  epsx pseudo --data data/shapes --ckpt runs/cls.safetensors --out runs/pseudo')
    .example('  epsx pseudo --data data/shapes --ckpt runs/cls.safetensors --out runs/pseudo --scales 1 --bg-threshold 0.3 --pamr')
    .action((flags: Record<string, unknown>) => {
      const started = performance.now();
      const ckpt = requireOption('--ckpt FILE', stringOption('--ckpt', flags.ckpt), 'pseudo');
      const out = requireOption('--out DIR', stringOption('--out', flags.out), 'pseudo');
      const split = splitOption(flags.split, 'train');
      const options = pseudoOptions(flags);
      const maxPixels = maxPixelsOption(flags.maxPixels);
      applyBackend(flags.backend);
      const data = openData(flags.data, maxPixels);
      const { model, method } = openClassifier(ckpt, data);
      const samples = loadSplit(data, split);
      prepareOutputFolder('--out', out);

      const byId = new Map(samples.map((s) => [s.id, s]));
      const masks = makePseudoMasks(model, samples, {
        ...options,
        method,
        progress: terminalProgress(),
        // Each mask is written as soon as it is made, at its image's own size: an interrupted run keeps whole files only.
        onMask: (id, r) => writeSampleMask(maskFile(out, id), byId.get(id)!, r.mask),
      });
      console.log(`wrote ${masks.size} pseudo-masks (${split}, ${method} classifier) to ${out} in ${secondsSince(started)}`);
      const score = scoreMasks(masks, samples, data.dataset.classes.length);
      if (score.images > 0) console.log(`pseudo-mask quality against the true masks:\n${formatIouTable(data.dataset.classes, score)}`);
      const skipped = skippedNote(samples, split);
      if (skipped) console.log(score.images > 0 ? skipped : `no quality score: ${skipped}`);
    });
}
