/**
 * Stages of `epsx run` side by side where there are two cores: the segmenter variants two at a
 * time, and the two halves of the pseudo-masks (./stages/pseudo-masks.ts), one in a worker
 * thread (./stage-worker.ts), the other in this thread, each on one kernel thread.
 * Within one training step a fair share of the work is host code that one thread runs while
 * the other core waits (packing, autograd, BatchNorm statistics, data augmentation), so two
 * independent models on one core each finish sooner than the two in turn on both cores. Each
 * part gives the numbers it gives alone: the same stage code, seeds and kernels (whose
 * results do not depend on the thread count).
 */
import type { MiouResult } from '../evaluate.js';
import type { ProgressTask } from '../progress.js';
import { getBackend } from '../core/backend.js';
import { UserError } from '../core/errors.js';
import { startModuleWorker } from '../worker-module.js';
import { limitThreads, threadCount } from '../../ops/kernels/threads.js';
import type { Classifier } from '../../models/classifier.js';
import type { RunContext } from './context.js';
import { Interrupted } from './interrupted.js';
import type { Ledger } from './ledger.js';
import { slug } from './run-dir.js';
import type { SegmenterJob, StageJob, StageMessage } from './stage-worker.js';
import { segmenterStage, type SegmenterVariant } from './stages/segmenter.js';

const key = (v: SegmenterVariant): string => `segmenter-${v}`;

/**
 * Train and evaluate the segmenter variants (in this order in the ledger and the log), two
 * side by side while two are left (see sideBySide); returns each variant's val scores.
 */
export async function segmenterStages(ctx: RunContext, variants: readonly SegmenterVariant[], pseudo: ReadonlyMap<string, Uint8Array> | null, init: Classifier): Promise<MiouResult[]> {
  const todo = variants.filter((v) => !(key(v) in ctx.ledger.done));
  while (todo.length > 0) {
    if (todo.length >= 2 && sideBySide(ctx)) await pair(ctx, todo.shift()!, todo.shift()!, pseudo, init);
    else {
      const v = todo.shift()!;
      await segmenterStage(ctx, v, v === 'full' ? null : pseudo, init);
    }
  }
  return variants.map((v) => (ctx.ledger.done[key(v)] as { val: MiouResult }).val);
}

/** The error a worker reported, as the class the CLI knows how to print. */
function rebuild(m: Extract<StageMessage, { kind: 'failed' }>): Error {
  if (m.name === 'Interrupted') return new Interrupted(m.message);
  if (m.name === 'UserError') return new UserError(m.message);
  const e = new Error(m.message);
  if (m.stack) e.stack = m.stack;
  return e;
}

/** A stage job running in a worker thread: its records and progress go to ctx as they come. */
export interface StageWorker {
  /** Resolves with the job's result and seconds; rejects with its error (as the CLI's classes). */
  done: Promise<{ result: unknown; seconds: number }>;
  terminate(): Promise<number>;
}

/** Start `job` in a worker thread (it limits itself to one kernel thread). */
export function startStageWorker(ctx: RunContext, job: StageJob, what: string): StageWorker {
  const worker = startModuleWorker(new URL(`./stage-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));
  const tasks = new Map<number, ProgressTask>();
  const done = new Promise<{ result: unknown; seconds: number }>((resolve, reject) => {
    worker.on('message', (m: StageMessage) => {
      if (m.kind === 'record') ctx.log.append(m.record);
      else if (m.kind === 'drop') ctx.log.dropFrom(m.stage, m.first);
      else if (m.kind === 'done') resolve(m);
      else if (m.kind === 'failed') reject(rebuild(m));
      else if (m.op === 'start') tasks.set(m.id, ctx.progress.start(m.label, m.total));
      else if (m.op === 'tick') tasks.get(m.id)?.tick(m.n, m.info);
      else tasks.get(m.id)?.done();
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`the ${what} worker stopped (exit code ${code}) before it finished`)));
  });
  worker.postMessage(job);
  return { done, terminate: () => worker.terminate() };
}

/** A flag shared with a worker, raised when ctx asks to stop (polled) or by hand; `lower` stops polling. */
export function stopFlag(ctx: RunContext): { flag: Int32Array; raise: () => void; raised: () => boolean; lower: () => void } {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const raise = () => Atomics.store(flag, 0, 1);
  // Ctrl-C while only the worker works still reaches it
  const poll = setInterval(() => ctx.shouldStop() && raise(), 100);
  return { flag, raise, raised: () => Atomics.load(flag, 0) !== 0 || ctx.shouldStop(), lower: () => clearInterval(poll) };
}

/**
 * `here` in this thread and the job `makeJob` builds (given the shared stop flag) in a worker,
 * one kernel thread each; the first to fail raises the flag so that the other stops too.
 * Resolves with both outcomes once both have settled and the worker is gone.
 */
export async function besideWorker<T>(
  ctx: RunContext, what: string, makeJob: (stop: Int32Array) => StageJob, here: (shouldStop: () => boolean) => Promise<T>,
): Promise<[PromiseSettledResult<T>, PromiseSettledResult<{ result: unknown; seconds: number }>]> {
  const stop = stopFlag(ctx);
  const worker = startStageWorker(ctx, makeJob(stop.flag), what);
  limitThreads(1);
  const raiseOnFailure = (e: unknown): never => {
    stop.raise();
    throw e;
  };
  try {
    return await Promise.allSettled([here(stop.raised).catch(raiseOnFailure), worker.done.catch(raiseOnFailure)]);
  } finally {
    stop.lower();
    limitThreads(null);
    await worker.terminate();
  }
}

/** Whether stages may run side by side here: asked for (the default) and two cores. */
export const sideBySide = (ctx: RunContext): boolean => (ctx.sideBySide ?? true) && threadCount() >= 2;

/** Variant `a` here and `b` in a worker, one kernel thread each; both recorded in the ledger (a first). */
async function pair(ctx: RunContext, a: SegmenterVariant, b: SegmenterVariant, pseudo: ReadonlyMap<string, Uint8Array> | null, init: Classifier): Promise<void> {
  const t0 = performance.now();
  const scratch: Ledger = { config: ctx.config, done: {}, timings: {} };
  const makeJob = (stop: Int32Array): SegmenterJob => ({
    kind: 'segmenter', variant: b, config: ctx.config, root: ctx.dir.root, backend: getBackend().backend, classes: ctx.classes, train: ctx.train, val: ctx.val,
    pseudo: b === 'full' || pseudo === null ? null : new Map(pseudo), classifier: ctx.dir.checkpoint(`classifier-${slug(ctx.config.method)}`), stop,
  });
  const [mine, theirs] = await besideWorker(ctx, key(b), makeJob, (shouldStop) =>
    segmenterStage({ ...ctx, ledger: scratch, saveLedger: () => {}, shouldStop }, a, a === 'full' ? null : pseudo, init),
  );
  ctx.log.settle?.([`segmenter (${a})`, `segmenter (${b})`]);
  for (const [v, r] of [[a, mine], [b, theirs]] as const) {
    if (r.status !== 'fulfilled') continue;
    const [result, seconds] = v === a ? [scratch.done[key(a)], scratch.timings[key(a)] ?? 0] : [(r.value as { result: unknown }).result, (r.value as { seconds: number }).seconds];
    ctx.ledger.done[key(v)] = result;
    ctx.ledger.timings[key(v)] = (ctx.ledger.timings[key(v)] ?? 0) + seconds;
  }
  // both stages' times are in the ledger: the time they shared is counted once in the run's total
  if (mine.status === 'fulfilled' && theirs.status === 'fulfilled') {
    const shared = ctx.ledger.timings[key(a)]! + ctx.ledger.timings[key(b)]! - (performance.now() - t0) / 1000;
    ctx.ledger.overlap = (ctx.ledger.overlap ?? 0) + Math.max(0, shared);
  }
  ctx.saveLedger();
  const errors = [mine, theirs].filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error);
  // the failure that stopped the other stage, rather than the other's interruption
  const first = errors.find((e) => !(e instanceof Interrupted)) ?? errors[0];
  if (first) throw first;
}
