/**
 * Worker side of segmenters trained side by side (./side-by-side.ts): one segmenter variant,
 * trained and evaluated on one kernel thread with the stage code the main thread runs. The
 * main thread owns the run folder's ledger and log: this worker sends it its step records,
 * progress and result, and reads the stop flag it shares.
 */
import { parentPort } from 'node:worker_threads';
import { setBackend, type BackendName } from '../core/backend.js';
import type { Sample } from '../data/sample.js';
import type { ProgressReporter } from '../progress.js';
import { limitThreads } from '../../ops/kernels/threads.js';
import { loadClassifier } from '../../models/load.js';
import type { RunConfig } from './config.js';
import type { RunContext } from './context.js';
import type { Ledger } from './ledger.js';
import { RunDir } from './run-dir.js';
import { segmenterStage, type SegmenterVariant } from './stages/segmenter.js';

/** What the main thread sends: everything the stage reads, and the shared stop flag. */
export interface SegmenterJob {
  variant: SegmenterVariant;
  config: RunConfig;
  root: string;
  backend: string;
  classes: string[];
  train: Sample[];
  val: Sample[];
  pseudo: Map<string, Uint8Array> | null;
  /** The classifier checkpoint the segmenter's backbone starts from. */
  classifier: string;
  /** [0] becomes 1 when the run should stop (Ctrl-C, or the other stage failed). */
  stop: Int32Array;
}

/** What the worker sends back, in order. */
export type StageMessage =
  | { kind: 'record'; record: Parameters<RunContext['log']['append']>[0] }
  | { kind: 'drop'; stage: string; first: number }
  | { kind: 'progress'; id: number; op: 'start'; label: string; total: number }
  | { kind: 'progress'; id: number; op: 'tick'; n?: number; info?: Record<string, string | number> }
  | { kind: 'progress'; id: number; op: 'done' }
  | { kind: 'done'; result: unknown; seconds: number }
  | { kind: 'failed'; name: string; message: string; stack?: string };

const port = parentPort!;
const send = (m: StageMessage): void => port.postMessage(m);

port.once('message', (job: SegmenterJob) => {
  run(job).catch((e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    send({ kind: 'failed', name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) });
  });
});

async function run(job: SegmenterJob): Promise<void> {
  limitThreads(1); // the main thread trains the other variant on the other core
  setBackend(job.backend as BackendName);
  let ids = 0;
  const progress: ProgressReporter = {
    start(label, total) {
      const id = ids++;
      send({ kind: 'progress', id, op: 'start', label, total });
      return {
        tick: (n, info) => send({ kind: 'progress', id, op: 'tick', ...(n !== undefined && { n }), ...(info && { info }) }),
        done: () => send({ kind: 'progress', id, op: 'done' }),
      };
    },
  };
  const ledger: Ledger = { config: job.config, done: {}, timings: {} };
  const ctx: RunContext = {
    config: job.config,
    dir: new RunDir(job.root),
    log: { append: (record) => send({ kind: 'record', record }), dropFrom: (stage, first) => send({ kind: 'drop', stage, first }) },
    ledger,
    classes: job.classes,
    train: job.train,
    val: job.val,
    progress,
    shouldStop: () => Atomics.load(job.stop, 0) !== 0,
    saveLedger: () => {},
  };
  await segmenterStage(ctx, job.variant, job.pseudo, loadClassifier(job.classifier));
  const key = `segmenter-${job.variant}`;
  send({ kind: 'done', result: ledger.done[key], seconds: ledger.timings[key] ?? 0 });
}
