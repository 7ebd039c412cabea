/** `epsx run`: the whole EPS++ pipeline in one command. */
import { readFileSync } from 'node:fs';
import type { CAC } from 'cac';
import { BACKEND_NAMES } from '../../lib/core/backend.js';
import { UserError } from '../../lib/core/errors.js';
import { AUTO_BUDGETS, mergeConfig, quickPreset, runDefaults, validateRunConfig, type RunConfig } from '../../lib/pipeline/config.js';
import { openVocDataset } from '../../lib/data/voc-reader.js';
import { DEFAULT_MAX_PIXELS, MAX_IMAGE_PIXELS } from '../../lib/data/size-limit.js';
import { latestRun, timestampName } from '../../lib/pipeline/run-dir.js';
import { runPipeline } from '../../lib/pipeline/run.js';
import { runSeeds, type SeedsMetrics } from '../../lib/pipeline/seeds.js';
import { Interrupted } from '../../lib/pipeline/interrupted.js';
import { METHODS } from '../../lib/train/classifier.js';
import { choiceOption, numberListOption, numberOption, stringOption } from '../options.js';
import { terminalProgress } from '../progress.js';
import { catchingInterrupts, reportStopped, Stopped } from '../interrupt.js';

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`--config ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`--config ${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Command-line flags as a config patch (only the flags that were given). */
function flagsToPatch(f: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  const set = (path: string, v: unknown) => {
    if (v === undefined) return;
    const keys = path.split('.');
    let o = patch;
    for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
    o[keys[keys.length - 1]!] = v;
  };
  set('data', stringOption('--data', f.data));
  set('out', stringOption('--out', f.out));
  set('name', stringOption('--name', f.name));
  set('method', choiceOption('--method', f.method, METHODS));
  set('backend', choiceOption('--backend', f.backend, BACKEND_NAMES));
  set('seed', numberOption('--seed', f.seed, { integer: true, min: 0 }));
  set('labeledFraction', numberOption('--labeled-fraction', f.labeledFraction, { min: 0.001, max: 1 }));
  set('width', numberOption('--width', f.width, { integer: true, min: 1, max: 256 }));
  set('synthetic.train', numberOption('--train', f.train, { integer: true, min: 1 }));
  set('synthetic.val', numberOption('--val', f.val, { integer: true, min: 1 }));
  set('segmenter.epochs', numberOption('--seg-epochs', f.segEpochs, { integer: true, min: 1 }));
  // --cls-epochs alone moves the IRD switch with it (two thirds in), so the IRD always gets its share.
  const clsEpochs = numberOption('--cls-epochs', f.clsEpochs, { integer: true, min: 1 });
  set('classifier.epochs', clsEpochs);
  set('classifier.warmupEpochs', numberOption('--warmup-epochs', f.warmupEpochs, { min: 0 }) ?? (clsEpochs === undefined ? undefined : 'auto'));
  set('panels', numberOption('--panels', f.panels, { integer: true, min: 0 }));
  set('maxPixels', numberOption('--max-pixels', f.maxPixels, { integer: true, min: 1, max: MAX_IMAGE_PIXELS }));
  if (f.ablation) patch.ablation = true;
  if (f.pamr === false) set('pseudo.pamr', false);
  if (f.fullBound === false) patch.fullBound = false;
  return patch;
}

type Metrics = Awaited<ReturnType<typeof runPipeline>>['metrics'];

/** The run's figures, one a line; with `std` (several seeds) each as mean ± std. */
function headline(metrics: Metrics, std?: Metrics): string[] {
  const pct = (v: number) => (100 * v).toFixed(1);
  const pm = (v: number, s: number | undefined, f: (x: number) => string) => (s === undefined ? f(v) : `${f(v)} ± ${f(s)}`);
  const lines = Object.entries(metrics.pseudo).map(([k, v]) => `  pseudo-masks ${k.padEnd(14)} train mIoU ${pm(v.mIoU, std?.pseudo[k]?.mIoU, pct)}`);
  for (const [k, v] of Object.entries(metrics.ird)) {
    lines.push(`  IRD drops (${k})${' '.repeat(Math.max(1, 9 - k.length))}precision ${pm(v.precision, std?.ird[k]?.precision, pct)}, recall ${pm(v.recall, std?.ird[k]?.recall, pct)} of the injected errors`);
  }
  for (const [k, v] of Object.entries(metrics.segmenter)) {
    const ratio = v.ratioToFull !== undefined ? `  (${pm(v.ratioToFull, std?.segmenter[k]?.ratioToFull, (x) => x.toFixed(3))} of full)` : '';
    lines.push(`  segmenter ${k.padEnd(17)} val mIoU ${pm(v.mIoU, std?.segmenter[k]?.mIoU, pct)}${ratio}`);
  }
  const total = metrics.seconds ?? Object.values(metrics.timings).reduce((a, b) => a + b, 0);
  lines.push(`  time ${total.toFixed(0)} s${std ? ' per seed (mean)' : ''} (${Object.entries(metrics.timings).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')})`);
  return lines;
}

export function register(cli: CAC): void {
  cli
    .command('run', 'Synthesise data, train the EPS++ classifier, make pseudo-masks, train the segmenter, evaluate and report')
    .option('--data <dir>', 'VOC-layout dataset folder (default: the built-in synthetic dataset)')
    .option('--method <m>', 'Classifier method: cam, eps or eps++ (default eps++)')
    .option('--ablation', 'Train cam, eps and eps++ side by side, plus the fully-supervised bound')
    .option('--labeled-fraction <r>', 'Semi-supervised: true masks for this fraction of train images')
    .option('--no-pamr', 'Pseudo-masks without PAMR refinement (default: refined with PAMR before the argmax)')
    .option('--no-full-bound', 'Skip training the fully-supervised bound (an --ablation always trains it)')
    .option('--backend <name>', `Kernel backend: ${BACKEND_NAMES.join(', ')} (default auto)`)
    .option('--seed <n>', 'Random seed (default 0)')
    .option('--width <n>', 'Backbone width (default 16)')
    .option('--train <n>', 'Synthetic train images (default 1000)')
    .option('--val <n>', 'Synthetic val images (default 200)')
    .option('--cls-epochs <n>', `Classifier epochs (default: auto, ${AUTO_BUDGETS.classifier.epochs}, or more on a set of fewer than ${AUTO_BUDGETS.classifier.images / AUTO_BUDGETS.classifier.epochs} train images so that the classifier sees ${AUTO_BUDGETS.classifier.images} images)`)
    .option('--seg-epochs <n>', `Segmenter epochs (default: auto, ${AUTO_BUDGETS.segmenter.epochs}, or more on a set of fewer than ${AUTO_BUDGETS.segmenter.images / AUTO_BUDGETS.segmenter.epochs} train images so that each segmenter sees ${AUTO_BUDGETS.segmenter.images} images)`)
    .option('--warmup-epochs <n>', 'eps++: classifier epochs (fractions allowed) with the warm-up loss before the IRD switches on (default: two thirds of the classifier epochs)')
    .option('--panels <n>', 'Images per split shown in the report (default 4)')
    .option('--max-pixels <n>', `Dataset images with more pixels are downscaled when loaded, with a one-line notice (default ${DEFAULT_MAX_PIXELS})`)
    .option('--out <dir>', 'Folder holding run folders (default runs)')
    .option('--name <name>', 'Run folder name (default run-<date>-<time>)')
    .option('--config <file>', 'JSON file with any of the options above (the command line wins)')
    .option('--seeds <list>', 'Run once per seed (e.g. 0,1,2) and report the mean and spread of every figure')
    .option('--resume', 'Continue an interrupted run (the latest one under --out, or --name)')
    .option('--quick', 'A tiny configuration for smoke tests (seconds; numbers not meaningful)')
    .example('epsx run')
    .example('epsx run --ablation --name ablation')
    .example('epsx run --data ~/VOCdevkit/VOC2012 --labeled-fraction 0.1')
    .example('epsx run --ablation --seeds 0,1,2 --name ablation3')
    .example('epsx run --resume')
    .action(async (flags: Record<string, unknown>) => {
      let config: RunConfig = runDefaults;
      if (flags.quick) config = mergeConfig(config, quickPreset, '--quick');
      const file = stringOption('--config', flags.config);
      if (file) config = mergeConfig(config, readConfigFile(file), `--config ${file}`);
      config = mergeConfig(config, flagsToPatch(flags), 'command line');
      const resume = Boolean(flags.resume);
      const seeds = numberListOption('--seeds', flags.seeds, { integer: true, min: 0, max: 2 ** 32 - 1 });
      if (seeds && new Set(seeds).size !== seeds.length) throw new UserError(`--seeds: give distinct seeds, got ${seeds.join(',')}`);
      if (seeds && flags.seed !== undefined) throw new UserError('run: --seed and --seeds cannot be combined');
      if (seeds && resume && !config.name) throw new UserError('--resume --seeds: name the run with --name');
      if (!config.name) config = { ...config, name: resume ? latestRun(config.out) ?? '' : timestampName() };
      if (resume && !config.name) throw new UserError(`--resume: no run to resume under ${config.out}/`);
      validateRunConfig(config, 'run');
      // Check the dataset's structure (folders, split lists, labels.json; pixels are read later)
      // before the run folder is created, so that a bad --data leaves nothing behind.
      if (!resume && config.data !== null) openVocDataset(config.data);

      await catchingInterrupts(async (stopRequested) => {
        try {
          const hooks = { progress: terminalProgress(), info: (line: string) => process.stderr.write(`${line}\n`), shouldStop: stopRequested, resume };
          const outcome = seeds ? await runSeeds(config, seeds, hooks) : await runPipeline(config, hooks);
          console.log(`done: ${outcome.dir}`);
          const m = outcome.metrics;
          if (seeds) console.log(`  mean ± std over seeds ${seeds.join(', ')}`);
          for (const line of seeds ? headline((m as SeedsMetrics).mean, (m as SeedsMetrics).std) : headline(m as Metrics)) console.log(line);
          console.log(`report: ${outcome.dir}/report.html`);
        } catch (e) {
          reportStopped(e instanceof Interrupted ? new Stopped(`${e.message}; continue with: epsx run --resume --out ${config.out} --name ${config.name}${seeds ? ` --seeds ${seeds.join(',')}` : ''}`) : e);
        }
      });
    });
}
