/** `epsx train-cls`: train the EPS classifier (cam, eps or eps++) on the train split. */
import type { CAC } from 'cac';
import { saveCheckpoint } from '../../lib/checkpoint.js';
import { silentProgress, type ProgressReporter } from '../../lib/progress.js';
import { METHODS, WARMUP_LOSSES, classifierTrainDefaults, defaultWarmupEpochs, trainClassifier, type Method, type WarmupLoss } from '../../lib/train/classifier.js';
import { sgdFor } from '../../lib/train/config.js';
import { Classifier } from '../../models/index.js';
import { backboneDefaults } from '../../models/config.js';
import { addBackendOption, applyBackend } from '../backend.js';
import { addDataOption, loadSplit, maxPixelsOption, openData } from '../dataset.js';
import { choiceOption, numberOption, requireOption, stringOption } from '../options.js';
import { catchingInterrupts, reportStopped } from '../interrupt.js';
import { terminalProgress } from '../progress.js';
import { secondsSince } from '../elapsed.js';
import { addTrainingOptions, runTraining, startTraining, trainingMetadata, trainingOptions, type StepLog, type TrainingDefaults, type TrainingOptions } from '../training.js';

const DEFAULTS: TrainingDefaults = { ...classifierTrainDefaults, width: backboneDefaults.width };
const DEFAULT_METHOD: Method = classifierTrainDefaults.method;

export interface TrainClsOptions extends TrainingOptions {
  /** Dataset folder; undefined = the synthetic default. */
  data: string | undefined;
  /** Images with more pixels are downscaled when loaded. */
  maxPixels: number;
  method: Method;
  /** eps++: epochs with the warm-up loss before the IRD switches on. */
  warmupEpochs: number;
  warmupLoss: WarmupLoss;
  /** Checkpoint file to write. */
  out: string;
}

/** Check every flag (one-line UserError on the first bad one). */
export function trainClsOptions(flags: Record<string, unknown>): TrainClsOptions {
  const out = requireOption('--out FILE', stringOption('--out', flags.out), 'train-cls');
  const training = trainingOptions(flags, out, DEFAULTS);
  return {
    data: stringOption('--data', flags.data),
    maxPixels: maxPixelsOption(flags.maxPixels),
    method: choiceOption('--method', flags.method, METHODS) ?? DEFAULT_METHOD,
    // As measured: the IRD for the last third (see defaultWarmupEpochs).
    warmupEpochs: numberOption('--warmup-epochs', flags.warmupEpochs, { min: 0, max: 100_000 }) ?? defaultWarmupEpochs(training.epochs),
    warmupLoss: choiceOption('--warmup-loss', flags.warmupLoss, WARMUP_LOSSES) ?? classifierTrainDefaults.warmupLoss,
    out,
    ...training,
  };
}

/** Train and save; the checkpoint appears only when training finished (atomic write). */
export async function trainCls(o: TrainClsOptions, progress: ProgressReporter = silentProgress, stopRequested: () => boolean = () => false): Promise<{ model: Classifier; log: StepLog }> {
  const data = openData(o.data, o.maxPixels);
  const samples = loadSplit(data, 'train');
  const log = startTraining(o);
  const model = new Classifier({ numClasses: data.dataset.classes.length, width: o.width, seed: o.seed });
  const cfg = { ...classifierTrainDefaults, method: o.method, epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, seed: o.seed, warmupEpochs: o.warmupEpochs, warmupLoss: o.warmupLoss, augment: o.augment };
  await runTraining(o, log, progress, stopRequested, (hooks) => trainClassifier(model, sgdFor(model, cfg), samples, cfg, hooks));
  const warmup: Record<string, string> = o.method === 'eps++' ? { warmup_epochs: String(o.warmupEpochs), warmup_loss: o.warmupLoss } : {};
  saveCheckpoint(o.out, model, { method: o.method, ...warmup, ...trainingMetadata(o, data.name, log.steps) });
  return { model, log };
}

export function register(cli: CAC): void {
  const command = cli
    .command('train-cls', 'Train the classifier (C+1 localization maps) with the cam, eps or eps++ loss')
    .usage('train-cls --out FILE [--data DIR] [--method eps++] [options]');
  addDataOption(command);
  command
    .option('--method <name>', `Loss: ${METHODS.join(', ')} (default: ${DEFAULT_METHOD}); eps++ drops inconsistent regions (IRD)`)
    .option('--warmup-epochs <n>', 'eps++: epochs (fractions allowed) with the warm-up loss before the IRD switches on (default: two thirds of --epochs)')
    .option('--warmup-loss <name>', `eps++: the warm-up's saliency loss, ${WARMUP_LOSSES.join(' or ')} (default: ${classifierTrainDefaults.warmupLoss})`)
    .option('--out <file>', 'Checkpoint to write (safetensors, written atomically when training ends)');
  addTrainingOptions(command, DEFAULTS);
  addBackendOption(command);
  command
    .example('  epsx synth --out data/shapes && epsx train-cls --data data/shapes --out runs/cls.safetensors')
    .example('  epsx train-cls --method eps --epochs 2 --width 8 --out runs/eps.safetensors    # synthetic data')
    .example('  epsx train-cls --data data/shapes --method cam --lr 0.02 --seed 3 --log runs/cam.jsonl --out runs/cam.safetensors')
    .action(async (flags: Record<string, unknown>) => {
      const started = performance.now();
      const o = trainClsOptions(flags);
      applyBackend(flags.backend);
      await catchingInterrupts(async (stopRequested) => {
        const { log } = await trainCls(o, terminalProgress(), stopRequested);
        console.log(`saved ${o.method} classifier to ${o.out} (${log.describe()}, ${secondsSince(started)}); log ${o.log}`);
      }).catch(reportStopped);
    });
}
