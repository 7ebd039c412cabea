/**
 * The training loop shared by the classifier and the segmenter: poly learning rate, one
 * optimiser step per batch, a log record per step, progress, NaN/Inf guard, and clean
 * stopping (the caller saves the position it gets back and can resume from it).
 */
import { UserError } from '../core/errors.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { trainLr } from '../optim/schedule.js';
import { silentProgress, yieldToEventLoop, type ProgressReporter } from '../progress.js';
import type { Tensor } from '../core/tensor.js';
import type { Batch } from '../data/batch.js';
import type { Sample } from '../data/sample.js';
import type { TrainConfig } from './config.js';
import { BatchSampler } from './sampler.js';

/** Where training is: the next batch to run. */
export interface Position {
  epoch: number;
  batch: number;
}

/**
 * One training step's log record (a line of log.jsonl): stage, 0-based epoch and global step,
 * the learning rate used, the loss, and extra metrics such as images_per_s.
 */
export interface StepRecord {
  stage: string;
  epoch: number;
  step: number;
  lr: number;
  loss: number;
  /** Loss terms and other per-step numbers (e.g. loss_cls, loss_sal, ird_dropped). */
  [metric: string]: number | string;
}

/** What one training step returns: the loss to backpropagate, its logged terms and the batch size. */
export interface StepResult {
  loss: Tensor;
  metrics: Record<string, number>;
  images: number;
  /** A change of regime that starts at this step (e.g. the IRD switching on), logged as `event`. */
  event?: string;
}

/** What trainLoop runs: the model, optimiser, warm-up + poly schedule from `baseLr`, epochs x batchesPerEpoch steps, and hooks. */
export interface TrainLoopOptions {
  stage: string;
  model: Module<unknown>;
  optimizer: Optimizer;
  baseLr: number;
  epochs: number;
  batchesPerEpoch: number;
  /** Forward one batch and return the loss to minimise. */
  step(epoch: number, batch: number): StepResult;
  start?: Position;
  progress?: ProgressReporter;
  onRecord?(record: StepRecord): void;
  /** Called after each completed step; return true to stop (e.g. on SIGINT). */
  shouldStop?(): boolean;
  /** Called at the end of each epoch with the position of the next batch. */
  onEpochEnd?(next: Position): void;
}

/** How a training loop ended: where to resume when it was stopped early, else null. */
export interface TrainLoopResult {
  /** Where to resume; null when every epoch finished. */
  stoppedAt: Position | null;
}

/**
 * A loss or metric that became NaN or infinite. Training stops at once, before the bad step
 * updates any weight; callers say what was kept and how to go on (`fault` is the part
 * without advice).
 */
export class NumericFault extends UserError {
  override name = 'NumericFault';
  readonly fault: string;

  constructor(stage: string, metric: string, value: number, epoch: number, step: number, readonly baseLr: number) {
    const fault = `${stage}: ${metric} became ${value} at epoch ${epoch}, step ${step}`;
    super(`${fault}; training stopped - the learning rate (${baseLr}) is probably too high, try a lower one`);
    this.fault = fault;
  }
}

/**
 * Run the steps from `o.start` (default the beginning) with lr = trainLr(baseLr, step, total) (warm-up, then poly),
 * in train mode. Resolves with where to resume when shouldStop() asked to stop, else null.
 * Throws NumericFault, before the update, when the loss or a metric is NaN or infinite.
 */
export async function trainLoop(o: TrainLoopOptions): Promise<TrainLoopResult> {
  const total = o.epochs * o.batchesPerEpoch;
  const start = o.start ?? { epoch: 0, batch: 0 };
  const task = (o.progress ?? silentProgress).start(o.stage, total);
  task.tick(start.epoch * o.batchesPerEpoch + start.batch);
  o.model.train();
  try {
    for (let epoch = start.epoch; epoch < o.epochs; epoch++) {
      for (let batch = epoch === start.epoch ? start.batch : 0; batch < o.batchesPerEpoch; batch++) {
        const step = epoch * o.batchesPerEpoch + batch;
        const t0 = performance.now();
        o.optimizer.lr = trainLr(o.baseLr, step, total);
        o.optimizer.zeroGrad();
        const { loss, metrics, images, event } = o.step(epoch, batch);
        const value = loss.item();
        const bad = [['loss', value], ...Object.entries(metrics)].find(([, v]) => !Number.isFinite(v as number));
        if (bad) throw new NumericFault(o.stage, bad[0] as string, bad[1] as number, epoch + 1, step + 1, o.baseLr);
        loss.backward();
        o.optimizer.step();
        const seconds = (performance.now() - t0) / 1000;
        const record: StepRecord = { stage: o.stage, epoch, step, lr: o.optimizer.lr, loss: value, ...metrics, images_per_s: images / seconds, ...(event ? { event } : {}) };
        o.onRecord?.(record);
        task.tick(1, { epoch: `${epoch + 1}/${o.epochs}`, loss: value });
        await yieldToEventLoop(); // lets SIGINT handlers run between steps
        if (o.shouldStop?.()) {
          const next = batch + 1 < o.batchesPerEpoch ? { epoch, batch: batch + 1 } : { epoch: epoch + 1, batch: 0 };
          return { stoppedAt: next.epoch < o.epochs ? next : null };
        }
      }
      o.onEpochEnd?.({ epoch: epoch + 1, batch: 0 });
    }
    return { stoppedAt: null };
  } finally {
    task.done();
  }
}

/** Where a batch sits in training: 0-based epoch, batch index in it, global step, batches per epoch. */
export interface StepAt {
  epoch: number;
  index: number;
  step: number;
  batchesPerEpoch: number;
}

/**
 * trainLoop over seeded batches of `samples` (see BatchSampler): `lossOf` turns one batch into
 * the loss to minimise, the numbers to log and an optional event.
 */
export function trainOnSamples(
  o: Pick<TrainLoopOptions, 'stage' | 'model' | 'optimizer'> & { samples: readonly Sample[]; cfg: TrainConfig; numClasses: number },
  hooks: Omit<Partial<TrainLoopOptions>, 'step'>,
  lossOf: (batch: Batch, at: StepAt) => Omit<StepResult, 'images'>,
): Promise<TrainLoopResult> {
  const sampler = new BatchSampler(o.samples, { batchSize: o.cfg.batchSize, seed: o.cfg.seed, numClasses: o.numClasses, augment: o.cfg.augment });
  return trainLoop({
    stage: o.stage,
    model: o.model,
    optimizer: o.optimizer,
    baseLr: o.cfg.lr,
    epochs: o.cfg.epochs,
    batchesPerEpoch: sampler.batchesPerEpoch,
    step: (epoch, index) => {
      const batch = sampler.batch(epoch, index);
      const { batchesPerEpoch } = sampler;
      return { ...lossOf(batch, { epoch, index, step: epoch * batchesPerEpoch + index, batchesPerEpoch }), images: batch.size };
    },
    ...hooks,
  });
}
