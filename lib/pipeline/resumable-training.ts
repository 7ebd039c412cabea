/**
 * Training inside a stage of `epsx run`: resumable (state restored, saved at each epoch end and
 * on interruption) and with a NaN or infinite loss translated into a one-line user error.
 */
import { existsSync } from 'node:fs';
import { UserError } from '../core/errors.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { NumericFault, type Position, type TrainLoopOptions } from '../train/trainer.js';
import type { RunContext } from './context.js';
import { Interrupted } from './interrupted.js';
import { loadTrainState, saveTrainState } from './train-state.js';

/**
 * Train with resumable state: restore it when an interrupted run left one, save it at each
 * epoch end and on interruption, and drop the log records the resumed steps will write again.
 */
export async function resumableTraining(
  ctx: RunContext,
  name: string,
  stage: string,
  model: Module<unknown>,
  optimizer: Optimizer,
  batchesPerEpoch: (start: Position | undefined) => number,
  train: (hooks: Pick<TrainLoopOptions, 'start' | 'progress' | 'onRecord' | 'shouldStop' | 'onEpochEnd'>) => Promise<{ stoppedAt: Position | null }>,
): Promise<void> {
  const statePath = ctx.dir.trainState(name);
  const start = loadTrainState(statePath, model, optimizer) ?? undefined;
  const first = start ? start.epoch * batchesPerEpoch(start) + start.batch : 0;
  ctx.log.dropFrom(stage, first);
  let stoppedAt: Position | null;
  try {
    ({ stoppedAt } = await train({
      start,
      progress: ctx.progress,
      onRecord: (r) => ctx.log.append(r),
      shouldStop: ctx.shouldStop,
      onEpochEnd: (next) => saveTrainState(statePath, model, optimizer, next),
    }));
  } catch (e) {
    if (!(e instanceof NumericFault)) throw e;
    // The bad step changed no weight; the state saved at the last finished epoch stays on disk.
    const key = name.startsWith('classifier') ? 'classifier.lr' : 'segmenter.lr';
    const kept = existsSync(statePath) ? 'finished stages and last epoch state' : 'finished stages';
    throw new UserError(`${e.fault}; training stopped - the learning rate is probably too high: lower '${key}' (now ${e.baseLr}) in a --config file and start a new run (this run's ${kept} are kept in ${ctx.dir.root})`);
  }
  if (stoppedAt) {
    saveTrainState(statePath, model, optimizer, stoppedAt);
    throw new Interrupted(`${stage} interrupted at epoch ${stoppedAt.epoch + 1}, batch ${stoppedAt.batch + 1}; state saved`);
  }
}
