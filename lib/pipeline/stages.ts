/**
 * The stages of `epsx run`, each a function of the run context: train a classifier, make
 * pseudo-masks, train a segmenter, draw panels. A stage whose result is in the ledger
 * (state.json) is not run again; its artefacts are read back from the run folder.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { saveCheckpoint } from '../checkpoint.js';
import { decodePngLabels } from '../data/png.js';
import { encodePalettePng } from '../data/png-palette.js';
import type { Sample } from '../data/sample.js';
import { maskAtFileSize, maskAtSampleSize } from '../data/size-limit.js';
import { argmaxChannels, evaluateSegmenter, makePseudoMasks, predictMasks, scoreMasks, type MiouResult, type PseudoMaskResult } from '../evaluate.js';
import { noGrad } from '../core/autograd.js';
import { Tensor } from '../core/tensor.js';
import { pamr } from '../../ops/pamr.js';
import { reshape } from '../../ops/movement.js';
import { inspectSample, irdDropScore } from '../inspect.js';
import type { DropSummary } from '../metrics.js';
import { UserError } from '../core/errors.js';
import type { ProgressReporter } from '../progress.js';
import { classifierOptimizer, trainClassifier, type Method } from '../train/classifier.js';
import { labeledIds, mixMasks, segmenterOptimizer, trainSegmenter } from '../train/segmenter.js';
import { NumericFault, type Position, type TrainLoopOptions } from '../train/trainer.js';
import { composePanel, maskTile } from '../viz/tiles.js';
import { Classifier } from '../../models/classifier.js';
import { loadClassifier, loadSegmenter } from '../../models/load.js';
import { Segmenter } from '../../models/segmenter.js';
import type { RunConfig } from './config.js';
import type { StepSink } from './log.js';
import { slug, type RunDir } from './run-dir.js';
import { loadTrainState, saveTrainState } from './train-state.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Panel } from '../report/types.js';

/** Thrown when the user interrupts training; the state to resume from has been saved. */
export class Interrupted extends Error {
  override name = 'Interrupted';
}

export interface Ledger {
  config: RunConfig;
  /** Results of finished stages, by stage key. */
  done: Record<string, unknown>;
  timings: Record<string, number>;
}

export interface RunContext {
  config: RunConfig;
  dir: RunDir;
  log: StepSink;
  ledger: Ledger;
  classes: string[];
  train: Sample[];
  val: Sample[];
  progress: ProgressReporter;
  shouldStop: () => boolean;
  saveLedger: () => void;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Run `body` once: record its result and time in the ledger; later runs read it back. */
async function once<T>(ctx: RunContext, key: string, body: () => Promise<T> | T): Promise<T> {
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

/**
 * Train with resumable state: restore it when an interrupted run left one, save it at each
 * epoch end and on interruption, and drop the log records the resumed steps will write again.
 */
async function resumableTraining(
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

export async function classifierStage(ctx: RunContext, method: Method): Promise<Classifier> {
  const name = `classifier-${slug(method)}`;
  const path = ctx.dir.checkpoint(name);
  await once(ctx, name, async () => {
    const { config: c } = ctx;
    const cfg = { ...c.classifier, method, seed: c.seed };
    const model = new Classifier({ numClasses: ctx.classes.length, width: c.width, seed: c.seed });
    const optimizer = classifierOptimizer(model, cfg);
    const bpe = Math.max(1, Math.floor(ctx.train.length / cfg.batchSize));
    await resumableTraining(ctx, name, `classifier (${method})`, model, optimizer, () => bpe, (hooks) => trainClassifier(model, optimizer, ctx.train, cfg, hooks));
    saveCheckpoint(path, model, { method, classes: JSON.stringify(ctx.classes) });
    rmSync(ctx.dir.trainState(name), { force: true });
    return { checkpoint: path };
  });
  return loadClassifier(path);
}

/**
 * What the IRD drops with this classifier's maps, against the injected saliency errors of the
 * train split (synthetic data only: null where no image has an error record).
 */
export async function irdMatchStage(ctx: RunContext, method: Method, model: Classifier): Promise<DropSummary | null> {
  const { pamrDilations, pamrIterations } = ctx.config.classifier;
  return once(ctx, `ird-match-${slug(method)}`, () => irdDropScore(model, ctx.train, { pamrDilations, pamrIterations }));
}

export interface PseudoResult {
  dir: string | null;
  score: MiouResult;
}

/** Images per pseudo-mask chunk: between chunks the stage yields and polls for Ctrl-C. */
const PSEUDO_CHUNK = 8;

/** One pseudo-mask variant of a method: raw or PAMR-refined, written as palette PNGs or only scored. */
export interface PseudoVariant {
  pamr: boolean;
  write: boolean;
}

/**
 * The PAMR-refined mask from a raw pseudo-mask's stacked scores [K+1,H,W]: what makePseudoMasks
 * gives with `pamr: true` (PAMR with its defaults on the full image, then the argmax), without
 * running the classifier again.
 */
export function refinePseudoMask(image: Tensor, r: PseudoMaskResult): Uint8Array {
  const [K, H, W] = r.scores.shape as [number, number, number];
  const refined = noGrad(() => pamr(reshape(image, [1, 3, H, W]), reshape(r.scores, [1, K, H, W]), {}));
  return argmaxChannels(refined)[0]!.map((k) => r.classes[k]!);
}

/**
 * Pseudo-masks of the train split in each asked variant, from one multi-scale pass of the
 * classifier (the refined variant refines the raw scores); each variant is written as palette
 * PNGs when `write`, always scored, and recorded in the ledger under its own key.
 */
export async function pseudoStage(ctx: RunContext, method: Method, model: Classifier, variants: readonly PseudoVariant[]): Promise<PseudoResult[]> {
  const keyOf = (v: PseudoVariant) => `pseudo-${slug(method)}${v.pamr ? '-pamr' : ''}`;
  const todo = variants.filter((v) => !(keyOf(v) in ctx.ledger.done));
  if (todo.length > 0) {
    await yieldToEventLoop();
    if (ctx.shouldStop()) throw new Interrupted(`interrupted before ${keyOf(todo[0]!)}; the stages done so far are saved`);
    const t0 = performance.now();
    const byId = new Map(ctx.train.map((s) => [s.id, s]));
    const made = todo.map((v) => ({ v, dir: v.write ? ctx.dir.pseudoDir(`${method}${v.pamr ? '-pamr' : ''}`) : null, masks: new Map<string, Uint8Array>() }));
    // A few images at a time, yielding in between, so that Ctrl-C stops this stage too. One
    // progress task spans the chunks. Masks are per image: chunking does not change them.
    const task = ctx.progress.start('pseudo-masks', ctx.train.length);
    const chunkProgress: ProgressReporter = { start: () => ({ tick: (n, info) => task.tick(n, info), done: () => {} }) };
    let done = 0;
    try {
      for (let i = 0; i < ctx.train.length; i += PSEUDO_CHUNK) {
        const chunk = ctx.train.slice(i, i + PSEUDO_CHUNK);
        makePseudoMasks(model, chunk, {
          ...ctx.config.pseudo,
          pamr: false,
          method,
          progress: chunkProgress,
          onMask: (id, r) => {
            const sample = byId.get(id)!;
            for (const m of made) {
              const mask = m.v.pamr ? refinePseudoMask(new Tensor(sample.image, [1, 3, sample.height, sample.width]), r) : r.mask;
              m.masks.set(id, mask);
              if (!m.dir) continue;
              const file = maskAtFileSize(sample, mask); // at the image file's own size
              writeFileAtomic(join(m.dir, `${id}.png`), encodePalettePng(file.width, file.height, file.mask));
            }
          },
        });
        done += chunk.length;
        await yieldToEventLoop();
        if (ctx.shouldStop() && done < ctx.train.length) {
          throw new Interrupted(`pseudo-masks (${method}) interrupted after ${done} of ${ctx.train.length} images (made again on resume)`);
        }
      }
    } finally {
      task.done();
    }
    const seconds = (performance.now() - t0) / 1000;
    for (const m of made) {
      ctx.ledger.done[keyOf(m.v)] = { dir: m.dir, score: scoreMasks(m.masks, ctx.train, ctx.classes.length) } satisfies PseudoResult;
      ctx.ledger.timings[keyOf(m.v)] = (ctx.ledger.timings[keyOf(m.v)] ?? 0) + seconds / made.length;
    }
    ctx.saveLedger();
  }
  return variants.map((v) => ctx.ledger.done[keyOf(v)] as PseudoResult);
}

/** Read the pseudo-masks a finished pseudo stage wrote. */
export function readPseudoMasks(dir: string, samples: readonly Sample[]): Map<string, Uint8Array> {
  return new Map(samples.map((s) => {
    const path = join(dir, `${s.id}.png`);
    return [s.id, maskAtSampleSize(s, decodePngLabels(readFileSync(path), path), path)];
  }));
}

export type SegmenterVariant = 'wsss' | 'ssss' | 'full';

/**
 * Train a segmenter on the variant's masks and evaluate it on the val split. Its backbone
 * starts from the trained classifier's (DeepLab starts from a pretrained backbone; here the
 * only pretraining is the classifier, which saw image-level labels only). Every variant,
 * the fully-supervised bound included, starts from the same classifier.
 */
export async function segmenterStage(ctx: RunContext, variant: SegmenterVariant, pseudo: ReadonlyMap<string, Uint8Array> | null, init: Classifier): Promise<MiouResult> {
  const name = `segmenter-${variant}`;
  const result = await once(ctx, name, async () => {
    const { config: c } = ctx;
    const cfg = { ...c.segmenter, seed: c.seed };
    const fraction = variant === 'ssss' ? c.labeledFraction ?? 0 : 0;
    // The bound learns from the train images that have a true mask (image-label-only ones have none).
    const samples = variant === 'full' ? ctx.train.filter((s) => s.mask) : mixMasks(ctx.train, pseudo!, fraction, c.seed);
    const labeled = variant === 'ssss' ? labeledIds(ctx.train, fraction, c.seed) : new Set<string>();
    const model = new Segmenter({ numClasses: ctx.classes.length, width: c.width, seed: c.seed });
    model.backbone.loadStateDict(init.backbone.stateDict());
    const optimizer = segmenterOptimizer(model, cfg);
    const bpe = Math.max(1, Math.floor(samples.length / cfg.batchSize));
    await resumableTraining(ctx, name, `segmenter (${variant})`, model, optimizer, () => bpe, (hooks) =>
      trainSegmenter(model, optimizer, samples, cfg, { ...hooks, stage: `segmenter (${variant})`, labeled }),
    );
    const path = ctx.dir.checkpoint(name);
    saveCheckpoint(path, model, { variant, classes: JSON.stringify(ctx.classes) });
    rmSync(ctx.dir.trainState(name), { force: true });
    return { checkpoint: path, val: evaluateSegmenter(model, ctx.val, { progress: ctx.progress }) };
  });
  return result.val;
}

/** Panels in the layout of `epsx inspect` for the first images of each split (+ segmenter output on val). */
export function panelStage(ctx: RunContext, method: Method, classifier: Classifier, segmenterPath: string | null): Panel[] {
  const seg = segmenterPath && existsSync(segmenterPath) ? loadSegmenter(segmenterPath) : null;
  const picks: Array<[string, Sample]> = [
    ...ctx.train.slice(0, ctx.config.panels).map((s): [string, Sample] => ['train', s]),
    ...ctx.val.slice(0, ctx.config.panels).map((s): [string, Sample] => ['val', s]),
  ];
  return picks.map(([split, sample]) => {
    const ins = inspectSample(classifier, sample, ctx.classes, {
      method,
      pamrDilations: ctx.config.classifier.pamrDilations,
      pamrIterations: ctx.config.classifier.pamrIterations,
      pseudo: { ...ctx.config.pseudo },
    });
    const tiles = [...ins.tiles];
    if (seg && split === 'val') {
      const mask = predictMasks(seg, [sample]).get(sample.id)!;
      tiles.push({ label: 'segmenter', tile: maskTile(mask, sample.height, sample.width) });
    }
    const base = `${split}-${sample.id}`;
    const rel = tiles.map((t, k) => {
      const file = join('viz', `${base}-${k}.png`);
      writeFileAtomic(ctx.dir.path(file), t.tile.toPng());
      return { label: t.label, png: file };
    });
    const classNames = sample.labels.map((c) => ctx.classes[c - 1]).join(', ');
    writeFileAtomic(ctx.dir.path('viz', `${base}.png`), composePanel(tiles, { title: `${split} ${sample.id}: ${classNames}` }).toPng());
    return { id: sample.id, split, caption: `${classNames}; IRD drops ${(100 * ins.dropped).toFixed(1)}% of map pixels`, tiles: rel };
  });
}
