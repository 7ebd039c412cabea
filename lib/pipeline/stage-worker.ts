/**
 * Worker side of stages run side by side (./side-by-side.ts): a segmenter variant trained and
 * evaluated, or the pseudo-masks of part of the train split, on one kernel thread with the
 * stage code the main thread runs. The main thread owns the run folder's ledger and log:
 * this worker sends it its step records, progress and result, and reads the stop flag it shares.
 */
import { parentPort } from 'node:worker_threads';
import { setBackend, type BackendName } from '../core/backend.js';
import type { Sample } from '../data/sample.js';
import type { ProgressReporter } from '../progress.js';
import type { Method } from '../train/classifier.js';
import { limitThreads } from '../../ops/kernels/threads.js';
import { loadClassifier } from '../../models/load.js';
import type { ResolvedRunConfig } from './config.js';
import type { RunContext } from './context.js';
import type { Ledger } from './ledger.js';
import { RunDir } from './run-dir.js';
import { stageMasks, type MaskSink } from './stages/pseudo-masks.js';
import { segmenterStage, type SegmenterVariant } from './stages/segmenter.js';

/** What every job carries: the run, the backend, the classifier checkpoint, the shared stop flag. */
interface JobBase {
  config: ResolvedRunConfig;
  root: string;
  backend: string;
  classes: string[];
  /** The classifier checkpoint (the segmenter's backbone starts from it; pseudo-masks come from it). */
  classifier: string;
  /** [0] becomes 1 when the run should stop (Ctrl-C, or the other side failed). */
  stop: Int32Array;
}

/** Train and evaluate one segmenter variant. */
export interface SegmenterJob extends JobBase {
  kind: 'segmenter';
  variant: SegmenterVariant;
  train: Sample[];
  val: Sample[];
  pseudo: Map<string, Uint8Array> | null;
}

/** The pseudo-masks of some train images, written where the sinks say. */
export interface PseudoJob extends JobBase {
  kind: 'pseudo';
  method: Method;
  samples: Sample[];
  sinks: MaskSink[];
}

export type StageJob = SegmenterJob | PseudoJob;

/** What a pseudo job returns: per sink, its masks by id, and how many images were done. */
export interface PseudoJobResult {
  masks: Array<Map<string, Uint8Array>>;
  done: number;
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

port.once('message', (job: StageJob) => {
  run(job).catch((e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    send({ kind: 'failed', name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) });
  });
});

async function run(job: StageJob): Promise<void> {
  limitThreads(1); // the main thread works on the other core
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
  const shouldStop = () => Atomics.load(job.stop, 0) !== 0;
  const classifier = loadClassifier(job.classifier);
  if (job.kind === 'pseudo') {
    const t0 = performance.now();
    const task = progress.start('pseudo-masks', job.samples.length);
    const result: PseudoJobResult = await stageMasks(classifier, job.method, job.config.pseudo, job.samples, job.sinks, (n) => task.tick(n), shouldStop);
    task.done();
    send({ kind: 'done', result, seconds: (performance.now() - t0) / 1000 });
    return;
  }
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
    shouldStop,
    saveLedger: () => {},
  };
  await segmenterStage(ctx, job.variant, job.pseudo, classifier);
  const key = `segmenter-${job.variant}`;
  send({ kind: 'done', result: ledger.done[key], seconds: ledger.timings[key] ?? 0 });
}
