/** `epsx inspect ID`: one image's EPS++ step as a labelled panel PNG. */
import type { CAC } from 'cac';
import { writeFileAtomic } from '../../lib/atomic.js';
import { inspectSample } from '../../lib/inspect.js';
import { composePanel } from '../../lib/viz/index.js';
import { addBackendOption, applyBackend } from '../backend.js';
import { addDataOption, maxPixelsOption, openData } from '../dataset.js';
import { openClassifier } from '../models.js';
import { numberOption, requireOption, stringOption } from '../options.js';
import { prepareOutputFile } from '../output.js';
import { addPseudoOptions, pseudoOptions } from '../pseudo-options.js';

export function register(cli: CAC): void {
  const command = cli
    .command('inspect <id>', 'Draw one image\'s EPS++ step: image | saliency | class maps | M_fg | M_r | N | pseudo-mask | truth')
    .usage('inspect ID --ckpt FILE --out PANEL.png [--data DIR] [options]');
  addDataOption(command);
  command
    .option('--ckpt <file>', 'Classifier checkpoint (from epsx train-cls)')
    .option('--out <file>', 'Panel PNG to write')
    .option('--size <px>', 'Side of each tile in the panel (default: 128)');
  addPseudoOptions(command);
  addBackendOption(command);
  command
    .example('  epsx inspect train_00003 --data data/shapes --ckpt runs/cls.safetensors --out panel.png')
    .example('  epsx inspect 2007_000032 --data VOC2012 --ckpt runs/cls.safetensors --out panel.png --size 256 --pamr')
    .action((id: string, flags: Record<string, unknown>) => {
      const ckpt = requireOption('--ckpt FILE', stringOption('--ckpt', flags.ckpt), 'inspect');
      const out = requireOption('--out PANEL.png', stringOption('--out', flags.out), 'inspect');
      const size = numberOption('--size', flags.size, { integer: true, min: 16, max: 1024 }) ?? 128;
      const pseudo = pseudoOptions(flags);
      const maxPixels = maxPixelsOption(flags.maxPixels);
      applyBackend(flags.backend);
      const data = openData(flags.data, maxPixels);
      const { model, method } = openClassifier(ckpt, data);
      const sample = data.dataset.load(String(id));
      prepareOutputFile('--out', out);

      const { tiles, dropped } = inspectSample(model, sample, data.dataset.classes, { method, pseudo });
      const present = sample.labels.map((c) => data.dataset.classes[c - 1]).join(', ') || 'no classes';
      const title = `${sample.id}: ${present}; IRD drops ${(100 * dropped).toFixed(1)}%`;
      const panel = composePanel(tiles, { size, title });
      writeFileAtomic(out, panel.toPng());
      console.log(`wrote ${out} (${panel.width}x${panel.height}, ${tiles.length} tiles): ${title}`);
    });
}
