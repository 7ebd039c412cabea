/**
 * The run's ledger (state.json): the result and time of every finished stage, so that a
 * resumed run skips what is done and reads its artefacts back from the run folder.
 */
import { yieldToEventLoop } from '../progress.js';
import type { RunContext } from './context.js';
import type { ResolvedRunConfig } from './config.js';
import { Interrupted } from './interrupted.js';

/** What state.json holds: the run's config, and the results and times of the finished stages. */
export interface Ledger {
  config: ResolvedRunConfig;
  /** Results of finished stages, by stage key. */
  done: Record<string, unknown>;
  timings: Record<string, number>;
  /** Seconds counted twice in `timings`: stages that ran side by side (absent: none did). */
  overlap?: number;
}

/** Run `body` once: record its result and time in the ledger; later runs read it back. */
export async function once<T>(ctx: RunContext, key: string, body: () => Promise<T> | T): Promise<T> {
  if (key in ctx.ledger.done) return ctx.ledger.done[key] as T;
  // A Ctrl-C during a stage that does not poll for it is seen here, before the next stage.
  await yieldToEventLoop();
  if (ctx.shouldStop()) throw new Interrupted(`interrupted before ${key}; the stages done so far are saved`);
  const t0 = performance.now();
  const result = await body();
  ctx.ledger.done[key] = result;
  ctx.ledger.timings[key] = (ctx.ledger.timings[key] ?? 0) + (performance.now() - t0) / 1000;
  ctx.saveLedger();
  return result;
}
