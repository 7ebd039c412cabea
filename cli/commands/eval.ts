/** `epsx eval`: per-class IoU and mIoU of a segmenter on a split with true masks. */
import type { CAC } from 'cac';
import { writeFileAtomic } from '../../lib/atomic.js';
import { UserError } from '../../lib/core/errors.js';
import { evaluateSegmenter } from '../../lib/evaluate.js';
import { addBackendOption, applyBackend } from '../backend.js';
import { addDataOption, addSplitOption, loadSplit, maxPixelsOption, openData, skippedNote, splitOption } from '../dataset.js';
import { formatIouTable, iouRecord } from '../iou.js';
import { openSegmenter } from '../models.js';
import { requireOption, stringOption } from '../options.js';
import { prepareOutputFile } from '../output.js';
import { terminalProgress } from '../progress.js';

export function register(cli: CAC): void {
  const command = cli
    .command('eval', 'Score a segmenter against the true masks of a split: per-class IoU and mIoU')
    .usage('eval --ckpt FILE [--data DIR] [--split val] [--out metrics.json]');
  addDataOption(command);
  command.option('--ckpt <file>', 'Segmenter checkpoint (from epsx train-seg)');
  addSplitOption(command, 'val');
  command.option('--out <file>', 'Also write the metrics as JSON (atomic)');
  addBackendOption(command);
  command
    .example('  epsx eval --data data/shapes --ckpt runs/seg.safetensors')
    .example('  epsx eval --data data/shapes --ckpt runs/seg.safetensors --split train --out runs/metrics.json')
    .action((flags: Record<string, unknown>) => {
      const ckpt = requireOption('--ckpt FILE', stringOption('--ckpt', flags.ckpt), 'eval');
      const out = stringOption('--out', flags.out);
      const split = splitOption(flags.split, 'val');
      const maxPixels = maxPixelsOption(flags.maxPixels);
      applyBackend(flags.backend);
      const data = openData(flags.data, maxPixels);
      const model = openSegmenter(ckpt, data);
      const all = loadSplit(data, split);
      const samples = all.filter((s) => s.mask !== undefined);
      if (samples.length === 0) throw new UserError(`${data.name}: no image of the ${split} split has a true mask to score against (image-level labels only)`);
      if (out !== undefined) prepareOutputFile('--out', out);

      const result = evaluateSegmenter(model, samples, { progress: terminalProgress() });
      const skipped = skippedNote(all, split);
      console.log(`${ckpt} on ${data.name} (${split}):\n${formatIouTable(data.dataset.classes, result)}${skipped ? `\n${skipped}` : ''}`);
      if (out !== undefined) {
        const record = { checkpoint: ckpt, data: data.name, split, ...iouRecord(data.dataset.classes, result), skipped: all.length - samples.length };
        writeFileAtomic(out, JSON.stringify(record, null, 2) + '\n');
        console.log(`wrote ${out}`);
      }
    });
}
