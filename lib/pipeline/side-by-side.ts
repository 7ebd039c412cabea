/**
 * The segmenter stages of `epsx run`, two at a time where there are two cores: one trains in a
 * worker thread (./stage-worker.ts), the other in this thread, each on one kernel thread.
 * Within one training step a fair share of the work is host code that one thread runs while
 * the other core waits (packing, autograd, BatchNorm statistics, data augmentation), so two
 * independent models on one core each finish sooner than the two in turn on both cores. Each
 * variant gives the numbers it gives alone: the same stage code, seeds and kernels (whose
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
import type { SegmenterJob, StageMessage } from './stage-worker.js';
import { segmenterStage, type SegmenterVariant } from './stages/segmenter.js';

const key = (v: SegmenterVariant): string => `segmenter-${v}`;

/**
 * Train and evaluate the segmenter variants (in this order in the ledger and the log), two
 * side by side while two are left and two cores are there (unless `sideBySide` is false);
 * returns each variant's val scores.
 */
export async function segmenterStages(ctx: RunContext, variants: readonly SegmenterVariant[], pseudo: ReadonlyMap<string, Uint8Array> | null, init: Classifier, sideBySide = true): Promise<MiouResult[]> {
  const todo = variants.filter((v) => !(key(v) in ctx.ledger.done));
  while (todo.length > 0) {
    if (sideBySide && todo.length >= 2 && threadCount() >= 2) await pair(ctx, todo.shift()!, todo.shift()!, pseudo, init);
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

/** Variant `a` here and `b` in a worker, one kernel thread each; both recorded in the ledger (a first). */
async function pair(ctx: RunContext, a: SegmenterVariant, b: SegmenterVariant, pseudo: ReadonlyMap<string, Uint8Array> | null, init: Classifier): Promise<void> {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const raise = () => Atomics.store(stop, 0, 1);
  const stopped = () => Atomics.load(stop, 0) !== 0 || ctx.shouldStop();
  const worker = startModuleWorker(new URL(`./stage-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));
  const tasks = new Map<number, ProgressTask>();
  const inWorker = new Promise<Extract<StageMessage, { kind: 'done' }>>((resolve, reject) => {
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
    worker.on('exit', (code) => reject(new Error(`the ${key(b)} worker stopped (exit code ${code}) before it finished`)));
  });
  const job: SegmenterJob = {
    variant: b, config: ctx.config, root: ctx.dir.root, backend: getBackend().backend, classes: ctx.classes, train: ctx.train, val: ctx.val,
    pseudo: b === 'full' || pseudo === null ? null : new Map(pseudo), classifier: ctx.dir.checkpoint(`classifier-${slug(ctx.config.method)}`), stop,
  };
  const t0 = performance.now();
  worker.postMessage(job);
  // Ctrl-C while only the worker trains still reaches it
  const poll = setInterval(() => ctx.shouldStop() && raise(), 100);
  limitThreads(1);
  const scratch: Ledger = { config: ctx.config, done: {}, timings: {} };
  const here = { ...ctx, ledger: scratch, saveLedger: () => {}, shouldStop: stopped };
  const [mine, theirs] = await Promise.allSettled([
    segmenterStage(here, a, a === 'full' ? null : pseudo, init).catch((e: unknown) => {
      raise(); // the worker saves its state and stops too
      throw e;
    }),
    inWorker.catch((e: unknown) => {
      raise();
      throw e;
    }),
  ]);
  clearInterval(poll);
  limitThreads(null);
  await worker.terminate();
  ctx.log.settle?.([`segmenter (${a})`, `segmenter (${b})`]);
  for (const [v, r] of [[a, mine], [b, theirs]] as const) {
    if (r.status !== 'fulfilled') continue;
    const [result, seconds] = v === a ? [scratch.done[key(a)], scratch.timings[key(a)] ?? 0] : [(r.value as Extract<StageMessage, { kind: 'done' }>).result, (r.value as Extract<StageMessage, { kind: 'done' }>).seconds];
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
