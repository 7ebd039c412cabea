/**
 * `epsx run`: synthesise (or read) the data, train the EPS++ classifier, make pseudo-masks,
 * train the segmenter on them, evaluate, and write the run folder with a report. Each stage
 * is recorded in state.json as it finishes, so an interrupted run resumes where it stopped.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setBackend } from '../core/backend.js';
import { UserError } from '../core/errors.js';
import { silentProgress, type ProgressReporter } from '../progress.js';
import { METHODS, type Method } from '../train/classifier.js';
import { budgetNote, resolveBudgets, validateRunConfig, type RunConfig } from './config.js';
import { RunLog } from './log.js';
import type { Classifier } from '../../models/classifier.js';
import { collectMetrics, writeReport, type RunMetrics } from './report.js';
import { RunDir } from './run-dir.js';
import { labelsOnlyNote, loadRunData, type RunContext } from './context.js';
import { derivedCropNote } from '../train/sampler.js';
import type { Ledger } from './ledger.js';
import { classifierStage, irdMatchStage } from './stages/classifier.js';
import { panelStage } from './stages/panels.js';
import { pseudoMaskStage, readPseudoMasks } from './stages/pseudo-masks.js';
import { segmenterStages } from './side-by-side.js';
import type { SegmenterVariant } from './stages/segmenter.js';

/** How the caller follows and steers runPipeline (all optional). */
export interface RunHooks {
  progress?: ProgressReporter;
  /** Informational lines (backend choice, stage results). */
  info?: (line: string) => void;
  /** Polled between training steps; true stops the run after saving resumable state. */
  shouldStop?: () => boolean;
  /** Continue the run in config.out/config.name from its state.json. */
  resume?: boolean;
  /**
   * Run stages side by side, one per core, where two cores are there (default true): two
   * segmenter variants at a time, the two halves of the pseudo-masks. The numbers are the same
   * either way; false runs everything in turn on all cores.
   */
  sideBySide?: boolean;
}

/** A finished run: its folder, the metrics written to metrics.json, and the engine backend used. */
export interface RunOutcome {
  dir: string;
  metrics: RunMetrics;
  backend: string;
  /** Names of classes 1..C. */
  classes: string[];
}

/**
 * `epsx run` as a function: data, classifier(s), pseudo-masks, segmenter(s), evaluation and report
 * in config.out/config.name. Throws UserError when that folder already holds a run (unless
 * hooks.resume) or, with resume, holds none.
 */
export async function runPipeline(config: RunConfig, hooks: RunHooks = {}): Promise<RunOutcome> {
  const info = hooks.info ?? (() => {});
  const root = join(config.out, config.name);
  const stateFile = join(root, 'state.json');
  if (hooks.resume && !existsSync(stateFile)) throw new UserError(`--resume: ${stateFile} does not exist (nothing to resume)`);
  if (!hooks.resume && existsSync(stateFile)) throw new UserError(`run folder ${root} already holds a run: use --resume to continue it, or another --name`);
  const dir = RunDir.create(root);
  const resumed = hooks.resume ? checkLedger(dir.readJson<Ledger>('state.json'), stateFile) : null;
  const given = resumed?.config ?? config; // a resumed run keeps its own configuration

  const backend = setBackend(given.backend as Parameters<typeof setBackend>[0]);
  info(backend.message);

  const t0 = performance.now();
  const data = loadRunData(given, info);
  // 'auto' epochs become numbers for this training set (a resumed run's are numbers already).
  const resolved = resumed?.config ?? resolveBudgets(config, data.train.length);
  const ledger: Ledger = resumed ?? { config: resolved, done: {}, timings: {} };
  ledger.timings.data = (ledger.timings.data ?? 0) + (performance.now() - t0) / 1000;
  if (!resumed) dir.writeJson('config.json', resolved);
  const notes = [resumed ? '' : budgetNote(config, resolved, data.train.length), labelsOnlyNote(data), derivedCropNote(data.train, resolved.classifier.augment)];
  for (const note of notes) if (note) info(note);

  const log = new RunLog(dir.path('log.jsonl'));
  const ctx: RunContext = {
    config: resolved,
    dir,
    log,
    ledger,
    ...data,
    progress: hooks.progress ?? silentProgress,
    shouldStop: hooks.shouldStop ?? (() => false),
    saveLedger: () => dir.writeJson('state.json', ledger),
    sideBySide: hooks.sideBySide ?? true,
  };
  ctx.saveLedger();
  return stages(ctx, info, backend.backend, log);
}

/** A state.json read back for --resume: its shape and its configuration are checked before use. */
function checkLedger(ledger: Ledger | null, file: string): Ledger | null {
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (ledger !== null && !(isObject(ledger) && isObject(ledger.config) && isObject(ledger.done) && isObject(ledger.timings))) {
    throw new UserError(`${file}: not the state of an epsx run (the run folder is damaged; start a new run)`);
  }
  if (ledger !== null) validateRunConfig(ledger.config, file);
  return ledger;
}

async function stages(ctx: RunContext, info: (line: string) => void, backend: string, log: RunLog): Promise<RunOutcome> {
  const { config, dir } = ctx;
  const { classifier, pseudo } = await mainChain(ctx, info);
  // SSSS is always shown beside WSSS from the same classifier and pseudo-masks: it must beat it.
  const variants: SegmenterVariant[] = config.labeledFraction === null ? ['wsss'] : ['wsss', 'ssss'];
  const wantFull = config.fullBound || config.ablation; // an ablation always includes the bound
  const full = wantFull && ctx.train.some((s) => s.mask);
  if (wantFull && !full) info('fully supervised bound skipped: no train image has a true mask (image-level labels only)');
  if (full && !config.fullBound) info('fully supervised bound trained anyway: an ablation always includes it (fullBound = false applies without --ablation)');
  const scores = await segmenterStages(ctx, full ? [...variants, 'full'] : variants, pseudo, classifier);
  variants.forEach((v, i) => info(`segmenter (${v}): val mIoU ${(100 * scores[i]!.mIoU).toFixed(1)}`));
  if (full) info(`fully supervised bound: val mIoU ${(100 * scores[variants.length]!.mIoU).toFixed(1)}`);

  const t1 = performance.now();
  const segKey = config.labeledFraction === null ? 'segmenter-wsss' : 'segmenter-ssss';
  const panels = panelStage(ctx, config.method, classifier, dir.checkpoint(segKey));
  ctx.ledger.timings.report = (performance.now() - t1) / 1000;
  const metrics = collectMetrics(ctx);
  dir.writeJson('metrics.json', metrics);
  writeReport(ctx, metrics, panels, log.records);
  ctx.saveLedger();
  return { dir: dir.root, metrics, backend, classes: ctx.classes };
}

/** Classifier(s) -> pseudo-masks; returns the classifier of config.method and its pseudo-masks. */
async function mainChain(ctx: RunContext, info: (line: string) => void): Promise<{ classifier: Classifier; pseudo: Map<string, Uint8Array> }> {
  const { config } = ctx;
  const methods: Method[] = config.ablation ? [...METHODS] : [config.method];
  let mainPseudo: Map<string, Uint8Array> | null = null;
  let mainClassifier: Classifier | null = null;
  for (const method of methods) {
    const classifier = await classifierStage(ctx, method);
    await irdMatchStage(ctx, method, classifier);
    const main = method === config.method;
    if (main) mainClassifier = classifier;
    // The ablation scores both variants (raw and PAMR-refined) from one pass of the classifier.
    const variants = [{ pamr: config.pseudo.pamr, write: main }, ...(config.ablation ? [{ pamr: !config.pseudo.pamr, write: false }] : [])];
    const [used] = await pseudoMaskStage(ctx, method, classifier, variants);
    info(`pseudo-masks (${method}${config.pseudo.pamr ? ' + PAMR' : ''}): train mIoU ${(100 * used!.score.mIoU).toFixed(1)}`);
    if (main) mainPseudo = readPseudoMasks(used!.dir!, ctx.train);
  }
  return { classifier: mainClassifier!, pseudo: mainPseudo! };
}
