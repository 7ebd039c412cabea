/** `epsx synth`: generate the synthetic dataset and write it as a VOC-style folder. */
import type { CAC } from 'cac';
import { numberOption, requireOption, stringOption } from '../options.js';
import { terminalProgress } from '../progress.js';
import { SYNTHETIC_LIMITS, SyntheticStats, synthetic, writeVocDataset, type SyntheticOptions } from '../../lib/data/index.js';

/** CLI flag of each generator option. */
const FLAGS: Record<keyof SyntheticOptions, string> = {
  train: '--train',
  val: '--val',
  size: '--size',
  classes: '--classes',
  seed: '--seed',
  missingClass: '--missing-class',
  missingObject: '--missing-object',
  falseCoverage: '--false-coverage',
};

/** Register `epsx synth`. */
export function register(cli: CAC): void {
  const command = cli.command('synth', 'Generate the synthetic dataset (shapes, distractors, saliency with injected errors) as a VOC-style folder');
  command.usage('synth --out DIR [options]');
  command.option('--out <dir>', 'Dataset folder to write');
  const describe: Record<keyof SyntheticOptions, string> = {
    train: 'Number of training images',
    val: 'Number of validation images',
    size: 'Image side in pixels',
    classes: 'Number of shape classes',
    seed: 'Random seed',
    missingClass: 'Per-image rate of a class missing from the saliency map',
    missingObject: 'Per-object rate of an object part missing from the saliency map',
    falseCoverage: 'Per-image rate of a distractor or background patch marked salient',
  };
  for (const key of Object.keys(FLAGS) as (keyof SyntheticOptions)[]) {
    command.option(`${FLAGS[key]} <${SYNTHETIC_LIMITS[key].real ? 'p' : 'n'}>`, `${describe[key]} (default: ${SYNTHETIC_LIMITS[key].default})`);
  }
  command
    .example('  epsx synth --out data/shapes')
    .example('  epsx synth --out data/tiny --train 64 --val 16 --size 32 --classes 3 --seed 1 --false-coverage 0.5')
    .action((flags: Record<string, unknown>) => {
      const out = requireOption('--out DIR', stringOption('--out', flags.out), 'synth');
      const options: SyntheticOptions = {};
      for (const key of Object.keys(FLAGS) as (keyof SyntheticOptions)[]) {
        const limit = SYNTHETIC_LIMITS[key];
        const value = numberOption(FLAGS[key], flags[key], { min: limit.min, max: limit.max, integer: !limit.real });
        if (value !== undefined) options[key] = value;
      }

      const started = performance.now();
      const dataset = synthetic(options);
      const stats = new SyntheticStats(dataset.classes.length);
      writeVocDataset(out, dataset, {
        generator: { ...dataset.options },
        onSample: (sample, split) => stats.add(sample, split),
        progress: terminalProgress(),
      });
      const o = dataset.options;
      const seconds = (performance.now() - started) / 1000;
      console.log(`wrote ${out}: ${o.train} train + ${o.val} val images, ${o.size}x${o.size}, ${o.classes} classes, seed ${o.seed}, in ${seconds.toFixed(1)} s`);
      for (const line of stats.format(dataset.classes, o)) console.log(line);
    });
}
