/** `epsx synth`: generate the synthetic dataset and write it as a VOC-style folder. */
import type { CAC } from 'cac';
import { UserError } from '../../lib/core/errors.js';
import { choiceOption, numberListOption, numberOption, requireOption, stringOption } from '../options.js';
import { terminalProgress } from '../progress.js';
import { APPEARANCES, CLASS_MISS_DEFAULT, SALIENCY_ERROR_MODELS, SYNTHETIC_LIMITS, SyntheticStats, synthetic, writeVocDataset, type NumericSyntheticOption, type SyntheticOptions } from '../../lib/data/index.js';

/** CLI flag of each numeric generator option. */
const FLAGS: Record<NumericSyntheticOption, string> = {
  train: '--train',
  val: '--val',
  size: '--size',
  classes: '--classes',
  seed: '--seed',
  companion: '--companion',
  partMiss: '--part-miss',
  contactMiss: '--contact-miss',
  contextSalient: '--context-salient',
  distractorSalient: '--distractor-salient',
  missingClass: '--missing-class',
  missingObject: '--missing-object',
  falseCoverage: '--false-coverage',
};

/** Register `epsx synth`. */
export function register(cli: CAC): void {
  const command = cli.command('synth', 'Generate the synthetic dataset (shapes, distractors, saliency with injected errors) as a VOC-style folder');
  command.usage('synth --out DIR [options]');
  command.option('--out <dir>', 'Dataset folder to write');
  const describe: Record<NumericSyntheticOption, string> = {
    train: 'Number of training images',
    val: 'Number of validation images',
    size: 'Image side in pixels',
    classes: 'Number of shape classes',
    seed: 'Random seed',
    companion: 'Share of disc/triangle objects drawn with their companion (water/rails)',
    partMiss: 'Systematic errors: per-object rate of losing the shape\'s characteristic part',
    contactMiss: 'Systematic errors: per-object rate of losing the side touching the border or another object',
    contextSalient: 'Systematic errors: per-companion rate of being marked salient',
    distractorSalient: 'Systematic errors: per-distractor rate of being marked salient',
    missingClass: 'Random errors: per-image rate of a class missing from the saliency map',
    missingObject: 'Random errors: per-object rate of an object part missing from the saliency map',
    falseCoverage: 'Random errors: per-image rate of a distractor or background patch marked salient',
  };
  command.option('--errors <model>', `Saliency-error model: ${SALIENCY_ERROR_MODELS.join(' or ')} (default: systematic)`);
  command.option('--appearance <kind>', `Where an object's class shows: ${APPEARANCES.join(' or ')} (parts: only on its head, on a body any class may have) (default: whole)`);
  command.option('--class-miss <list>', `Systematic errors: per-class miss rates, one per class or one for all (default: ${Object.values(CLASS_MISS_DEFAULT).join(',')})`);
  for (const key of Object.keys(FLAGS) as NumericSyntheticOption[]) {
    command.option(`${FLAGS[key]} <${SYNTHETIC_LIMITS[key].real ? 'p' : 'n'}>`, `${describe[key]} (default: ${SYNTHETIC_LIMITS[key].default})`);
  }
  command
    .example('  epsx synth --out data/shapes')
    .example('  epsx synth --out data/tiny --train 64 --val 16 --size 32 --classes 3 --seed 1 --class-miss 0.1,0.2,0.8')
    .example('  epsx synth --out data/random --errors random --false-coverage 0.5')
    .action((flags: Record<string, unknown>) => {
      const out = requireOption('--out DIR', stringOption('--out', flags.out), 'synth');
      const options: SyntheticOptions = {};
      for (const key of Object.keys(FLAGS) as NumericSyntheticOption[]) {
        const limit = SYNTHETIC_LIMITS[key];
        const value = numberOption(FLAGS[key], flags[key], { min: limit.min, max: limit.max, integer: !limit.real });
        if (value !== undefined) options[key] = value;
      }
      const errors = choiceOption('--errors', flags.errors, SALIENCY_ERROR_MODELS);
      if (errors !== undefined) options.errors = errors;
      const appearance = choiceOption('--appearance', flags.appearance, APPEARANCES);
      if (appearance !== undefined) options.appearance = appearance;
      const classMiss = numberListOption('--class-miss', flags.classMiss, { min: 0, max: 1 });
      const classes = options.classes ?? SYNTHETIC_LIMITS.classes.default;
      if (classMiss !== undefined && classMiss.length !== 1 && classMiss.length !== classes) throw new UserError(`--class-miss needs one rate or one per class (${classes}), got ${classMiss.length}`);
      if (classMiss !== undefined) options.classMiss = classMiss;

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
