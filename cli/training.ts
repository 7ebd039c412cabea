/** Options and logging shared by train-cls and train-seg. */
import type { Command } from 'cac';
import { appendFileSync, writeFileSync } from 'node:fs';
import { UserError } from '../lib/core/errors.js';
import type { ProgressReporter } from '../lib/progress.js';
import type { TrainHooks } from '../lib/train/classifier.js';
import { NumericFault, type StepRecord, type TrainLoopResult } from '../lib/train/trainer.js';
import { Stopped } from './interrupt.js';
import { numberListOption, numberOption, stringOption } from './options.js';
import type { AugmentOptions } from '../lib/data/augment.js';
import { prepareOutputFile } from './output.js';

export interface TrainingDefaults {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  width: number;
  augment: AugmentOptions | null;
}

export interface TrainingOptions extends TrainingDefaults {
  /** JSON-lines step log. */
  log: string;
}

export function addTrainingOptions(command: Command, d: TrainingDefaults): Command {
  return command
    .option('--epochs <n>', `Passes over the training images (default: ${d.epochs})`)
    .option('--batch-size <n>', `Images per step (default: ${d.batchSize})`)
    .option('--lr <rate>', `Base learning rate of SGD with a poly schedule (default: ${d.lr})`)
    .option('--seed <n>', `Seed of the weight initialisation, batch order and augmentation (default: ${d.seed})`)
    .option('--width <n>', `Channels of the first backbone stage; later stages use 2x and 4x (default: ${d.width})`)
    .option('--crop <size>', 'Training crop, a side or HxW, after the random rescale; padding is ignored by the losses (default: each image\'s own size when all share one, else the median short side rounded to a multiple of 8)')
    .option('--scale <lo,hi>', `Range of the random rescale before the crop (default: ${d.augment?.scale?.join(',') ?? '1,1'})`)
    .option('--color <s>', `Colour jitter strength: brightness, contrast and saturation factors from [1-s, 1+s] (default: ${d.augment?.color ?? 0})`)
    .option('--log <file>', 'JSON-lines log, one record per step (default: <out>.log.jsonl)');
}

export function trainingOptions(flags: Record<string, unknown>, out: string, d: TrainingDefaults): TrainingOptions {
  return {
    epochs: numberOption('--epochs', flags.epochs, { integer: true, min: 1, max: 100_000 }) ?? d.epochs,
    batchSize: numberOption('--batch-size', flags.batchSize, { integer: true, min: 1, max: 4096 }) ?? d.batchSize,
    lr: numberOption('--lr', flags.lr, { min: 1e-8, max: 10 }) ?? d.lr,
    seed: numberOption('--seed', flags.seed, { integer: true, min: 0, max: 2 ** 32 - 1 }) ?? d.seed,
    width: numberOption('--width', flags.width, { integer: true, min: 1, max: 1024 }) ?? d.width,
    log: stringOption('--log', flags.log) ?? `${out}.log.jsonl`,
    augment: augmentOptions(flags, d.augment),
  };
}

/** --crop (a side or HxW), --scale lo,hi and --color s over the default augmentation. */
function augmentOptions(flags: Record<string, unknown>, d: AugmentOptions | null): AugmentOptions {
  const rawCrop = stringOption('--crop', flags.crop);
  let crop = d?.crop ?? null;
  if (rawCrop !== undefined) {
    const sides = rawCrop.toLowerCase().split('x').map((v) => numberOption('--crop', v, { integer: true, min: 1, max: 8192 })!);
    if (sides.length > 2) throw new UserError(`--crop must be a side or HxW, got '${rawCrop}'`);
    crop = sides.length === 1 ? sides[0]! : [sides[0]!, sides[1]!];
  }
  const scale = numberListOption('--scale', flags.scale, { min: 0.01, max: 4 });
  if (scale && (scale.length !== 2 || scale[0]! > scale[1]!)) throw new UserError(`--scale must be two numbers lo,hi with lo <= hi, got '${String(flags.scale)}'`);
  const color = numberOption('--color', flags.color, { min: 0, max: 0.99 });
  return { ...(d ?? { scale: [1, 1], flip: false }), crop, ...(scale && { scale: [scale[0]!, scale[1]!] as [number, number] }), ...(color !== undefined && { color }) };
}

/** A fresh JSON-lines log at `path`, one line per training step as it happens, plus the counts for the summary. */
export class StepLog {
  steps = 0;
  last: StepRecord | undefined;

  constructor(readonly path: string) {
    this.write(() => writeFileSync(path, ''));
  }

  /** The trainer's onRecord hook. */
  readonly onRecord = (record: StepRecord): void => {
    this.write(() => appendFileSync(this.path, JSON.stringify(record) + '\n'));
    this.steps++;
    this.last = record;
  };

  /** "N steps, last loss L" for the closing line. */
  describe(): string {
    return `${this.steps} steps${this.last ? `, last loss ${this.last.loss.toFixed(4)}` : ''}`;
  }

  private write(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      throw new UserError(`cannot write log ${this.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
}

/** Once every input is checked: make room for the checkpoint and start a fresh log. */
export function startTraining(o: TrainingOptions & { out: string }): StepLog {
  prepareOutputFile('--out', o.out);
  prepareOutputFile('--log', o.log);
  return new StepLog(o.log);
}

/** Checkpoint metadata recording how a model was trained (strings, as safetensors wants). */
export function trainingMetadata(o: TrainingOptions, data: string, steps: number): Record<string, string> {
  return { data, epochs: String(o.epochs), batch_size: String(o.batchSize), lr: String(o.lr), seed: String(o.seed), steps: String(steps) };
}

/**
 * Run train-cls's or train-seg's training loop. The checkpoint is written only once training
 * finished, so on Ctrl-C (`stopRequested`) or a NaN/Inf loss nothing is saved: an earlier file
 * at --out stays as it was. Either ends with one line saying so.
 */
export async function runTraining(
  o: TrainingOptions & { out: string },
  log: StepLog,
  progress: ProgressReporter,
  stopRequested: () => boolean,
  train: (hooks: TrainHooks) => Promise<TrainLoopResult>,
): Promise<void> {
  let result: TrainLoopResult;
  try {
    result = await train({ progress, onRecord: log.onRecord, shouldStop: stopRequested });
  } catch (e) {
    if (e instanceof NumericFault) throw new UserError(`${e.fault}; training stopped and nothing was saved to ${o.out} - try a lower --lr (now ${o.lr})`);
    throw e;
  }
  if (result.stoppedAt) {
    const { epoch, batch } = result.stoppedAt;
    throw new Stopped(`interrupted before epoch ${epoch + 1}, batch ${batch + 1} (${log.steps} steps done); nothing was saved to ${o.out} - the checkpoint is written only when training finishes; log ${o.log}`);
  }
}
