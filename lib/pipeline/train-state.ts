/**
 * Resumable training state: model parameters and buffers, optimiser state and the position
 * of the next batch, in one safetensors file (written atomically). Restoring it and running
 * the remaining batches gives exactly the numbers of an uninterrupted run, because batches
 * and augmentation are derived from (seed, epoch, batch) rather than from a running stream.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../atomic.js';
import { decodeSafetensors, encodeSafetensors } from '../checkpoint.js';
import { UserError } from '../core/errors.js';
import type { Module, StateEntry } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Position } from '../train/trainer.js';

const MODEL = 'model.';
const OPTIM = 'optimizer.';

function prefixed(prefix: string, entries: ReadonlyMap<string, StateEntry>): Array<[string, StateEntry]> {
  return [...entries].map(([k, v]) => [prefix + k, v]);
}

function withPrefix(prefix: string, entries: ReadonlyMap<string, StateEntry>): Map<string, StateEntry> {
  return new Map([...entries].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

export function saveTrainState(path: string, model: Module<unknown>, optimizer: Optimizer, position: Position): void {
  const tensors = new Map<string, StateEntry>([...prefixed(MODEL, model.stateDict()), ...prefixed(OPTIM, optimizer.stateEntries())]);
  writeFileAtomic(path, encodeSafetensors(tensors, { position: JSON.stringify(position), stepCount: String(optimizer.stepCount) }));
}

/** Restore into model and optimizer; returns the position to resume from, or null when no state exists. */
export function loadTrainState(path: string, model: Module<unknown>, optimizer: Optimizer): Position | null {
  if (!existsSync(path)) return null;
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(readFileSync(path));
  } catch (e) {
    throw new UserError(`training state ${path}: ${(e as Error).message}`);
  }
  const position = parsePosition(decoded.metadata.position);
  const stepCount = Number(decoded.metadata.stepCount ?? 0);
  if (position === null || !Number.isSafeInteger(stepCount) || stepCount < 0) throw new UserError(`training state ${path}: damaged position or step count (delete it to train that stage again from the start)`);
  const modelState = withPrefix(MODEL, decoded.tensors);
  const problem = model.stateMismatch(modelState);
  if (problem !== null) throw new UserError(`training state ${path}: ${problem}`);
  model.loadStateDict(modelState);
  optimizer.loadStateEntries(withPrefix(OPTIM, decoded.tensors));
  optimizer.stepCount = stepCount;
  return position;
}

/** The stored position: an object with integer epoch and batch >= 0, or null when damaged. */
function parsePosition(text: string | undefined): Position | null {
  let p: unknown;
  try {
    p = JSON.parse(text ?? '');
  } catch {
    return null;
  }
  const ok = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  return typeof p === 'object' && p !== null && ok((p as Position).epoch) && ok((p as Position).batch) ? { epoch: (p as Position).epoch, batch: (p as Position).batch } : null;
}
