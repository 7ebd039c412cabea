/**
 * `epsx train-seg`: train the segmenter on pseudo-masks (WSSS), on true masks for a seeded
 * fraction and pseudo-masks for the rest (SSSS), or on true masks only (--full, the upper bound).
 */
import type { CAC } from 'cac';
import { saveCheckpoint } from '../../lib/checkpoint.js';
import type { Sample } from '../../lib/data/index.js';
import { UserError } from '../../lib/core/errors.js';
import { silentProgress, type ProgressReporter } from '../../lib/progress.js';
import { labeledIds, mixMasks, segmenterTrainDefaults, trainSegmenter } from '../../lib/train/segmenter.js';
import { sgdFor } from '../../lib/train/config.js';
import { Segmenter } from '../../models/index.js';
import { backboneDefaults } from '../../models/config.js';
import { addBackendOption, applyBackend } from '../backend.js';
import { addDataOption, loadSplit, maxPixelsOption, openData, type OpenedData } from '../dataset.js';
import { readMasks } from '../masks.js';
import { openClassifier } from '../models.js';
import { flagOption, numberOption, requireOption, stringOption } from '../options.js';
import { catchingInterrupts, reportStopped } from '../interrupt.js';
import { terminalProgress } from '../progress.js';
import { secondsSince } from '../elapsed.js';
import { addTrainingOptions, runTraining, startTraining, trainingMetadata, trainingOptions, type StepLog, type TrainingDefaults, type TrainingOptions } from '../training.js';

const DEFAULTS: TrainingDefaults = { ...segmenterTrainDefaults, width: backboneDefaults.width };

/** What the segmenter learns from. */
export type MaskSource = { kind: 'pseudo'; dir: string; labeledFraction: number; labeledWeight: number } | { kind: 'full' };

export interface TrainSegOptions extends TrainingOptions {
  data: string | undefined;
  /** Images with more pixels are downscaled when loaded. */
  maxPixels: number;
  masks: MaskSource;
  out: string;
  /** A classifier checkpoint whose backbone the segmenter starts from. */
  init: string | undefined;
}

export function trainSegOptions(flags: Record<string, unknown>): TrainSegOptions {
  const out = requireOption('--out FILE', stringOption('--out', flags.out), 'train-seg');
  const full = flagOption('--full', flags.full);
  const dir = stringOption('--masks', flags.masks);
  const labeledFraction = numberOption('--labeled-fraction', flags.labeledFraction, { min: 0, max: 1 });
  const labeledWeight = numberOption('--labeled-weight', flags.labeledWeight, { min: 1e-6, max: 1e6 });
  if (full && dir !== undefined) throw new UserError('--full trains on true masks only: it cannot be combined with --masks');
  if (full && labeledFraction !== undefined) throw new UserError('--full trains on true masks only: it cannot be combined with --labeled-fraction');
  const masks: MaskSource = full
    ? { kind: 'full' }
    : { kind: 'pseudo', dir: requireOption('--masks DIR (or --full)', dir, 'train-seg'), labeledFraction: labeledFraction ?? 0, labeledWeight: labeledWeight ?? segmenterTrainDefaults.labeledWeight };
  return { data: stringOption('--data', flags.data), maxPixels: maxPixelsOption(flags.maxPixels), masks, out, init: stringOption('--init', flags.init), ...trainingOptions(flags, out, DEFAULTS) };
}

/** The train samples, each carrying the mask it is trained on. */
function trainingSamples(data: OpenedData, source: MaskSource, seed: number): Sample[] {
  const samples = loadSplit(data, 'train');
  if (source.kind === 'full') {
    const unlabelled = samples.find((s) => !s.mask);
    if (unlabelled) throw new UserError(`--full needs a true mask for every train image; ${data.name} has none for "${unlabelled.id}"`);
    return samples;
  }
  const pseudo = readMasks(source.dir, samples, data.dataset.classes.length);
  return mixMasks(samples, pseudo, source.labeledFraction, seed);
}

function describeSource(source: MaskSource): string {
  if (source.kind === 'full') return 'true masks';
  if (source.labeledFraction === 0) return `pseudo-masks from ${source.dir}`;
  return `true masks for ${(100 * source.labeledFraction).toFixed(0)}% and pseudo-masks from ${source.dir} for the rest`;
}

/** Train and save; the checkpoint appears only when training finished (atomic write). */
export async function trainSeg(o: TrainSegOptions, progress: ProgressReporter = silentProgress, stopRequested: () => boolean = () => false): Promise<{ model: Segmenter; log: StepLog }> {
  const data = openData(o.data, o.maxPixels);
  const samples = trainingSamples(data, o.masks, o.seed);
  const log = startTraining(o);
  const model = new Segmenter({ numClasses: data.dataset.classes.length, width: o.width, seed: o.seed });
  if (o.init) model.backbone.loadStateDict(openClassifier(o.init, data).model.backbone.stateDict());
  const labeledWeight = o.masks.kind === 'pseudo' ? o.masks.labeledWeight : 1;
  const cfg = { ...segmenterTrainDefaults, epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, seed: o.seed, labeledWeight, augment: o.augment };
  const labeled = o.masks.kind === 'pseudo' ? labeledIds(samples, o.masks.labeledFraction, o.seed) : new Set<string>();
  await runTraining(o, log, progress, stopRequested, (hooks) => trainSegmenter(model, sgdFor(model, cfg), samples, cfg, { ...hooks, labeled }));
  saveCheckpoint(o.out, model, { masks: describeSource(o.masks), ...trainingMetadata(o, data.name, log.steps) });
  return { model, log };
}

export function register(cli: CAC): void {
  const command = cli
    .command('train-seg', 'Train the segmenter on pseudo-masks (WSSS), a labelled fraction plus pseudo-masks (SSSS), or true masks (--full)')
    .usage('train-seg --out FILE (--masks DIR [--labeled-fraction R] | --full) [--data DIR] [options]');
  addDataOption(command);
  command
    .option('--masks <dir>', 'Pseudo-masks, one <id>.png per train image (from epsx pseudo)')
    .option('--labeled-fraction <r>', 'Semi-supervised: use the true masks of this seeded share of the train images (0..1, default: 0)')
    .option('--labeled-weight <w>', `Semi-supervised: weight of a true-mask pixel against a pseudo-mask pixel (default: ${segmenterTrainDefaults.labeledWeight})`)
    .option('--full', 'Fully supervised upper bound: true masks only (no --masks, no --labeled-fraction)')
    .option('--init <file>', 'Start the backbone from a trained classifier checkpoint (as epsx run does; its --width must match)')
    .option('--out <file>', 'Checkpoint to write (safetensors, written atomically when training ends)');
  addTrainingOptions(command, DEFAULTS);
  addBackendOption(command);
  command
    .example('  epsx train-seg --data data/shapes --masks runs/pseudo --init runs/cls.safetensors --out runs/seg.safetensors')
    .example('  epsx train-seg --data data/shapes --masks runs/pseudo --labeled-fraction 0.1 --out runs/ssss.safetensors')
    .example('  epsx train-seg --data data/shapes --full --epochs 4 --out runs/full.safetensors')
    .action(async (flags: Record<string, unknown>) => {
      const started = performance.now();
      const o = trainSegOptions(flags);
      applyBackend(flags.backend);
      await catchingInterrupts(async (stopRequested) => {
        const { log } = await trainSeg(o, terminalProgress(), stopRequested);
        console.log(`saved segmenter (${describeSource(o.masks)}) to ${o.out} (${log.describe()}, ${secondsSince(started)}); log ${o.log}`);
      }).catch(reportStopped);
    });
}
