/** The pseudo-mask stage of `epsx run`: the train split's pseudo-masks in each variant, written and scored. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../atomic.js';
import { decodePngLabels } from '../../data/png.js';
import { encodePalettePng } from '../../data/png-palette.js';
import type { Sample } from '../../data/sample.js';
import { maskAtFileSize, maskAtSampleSize } from '../../data/size-limit.js';
import { scoreMasks, type MiouResult } from '../../evaluate.js';
import { yieldToEventLoop } from '../../progress.js';
import { getBackend } from '../../core/backend.js';
import type { PseudoConfig } from '../config.js';
import { besideWorker, sideBySide } from '../side-by-side.js';
import type { PseudoJob, PseudoJobResult } from '../stage-worker.js';
import { makePseudoMasks } from '../../pseudo-dataset.js';
import { refinePseudoMasks, type PseudoMask } from '../../pseudo.js';
import { sameSizeBatches } from '../../data/same-size-batches.js';
import type { Method } from '../../train/classifier.js';
import type { Classifier } from '../../../models/classifier.js';
import type { RunContext } from '../context.js';
import { Interrupted } from '../interrupted.js';
import { slug } from '../run-dir.js';

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

/** Where a variant's masks go: refined with PAMR or not, written as PNGs in `dir` (null: only kept). */
export interface MaskSink {
  pamr: boolean;
  dir: string | null;
}

/**
 * The pseudo-masks of `samples` for each sink, a few images at a time (one multi-scale pass of
 * the classifier; the refined masks refine the raw scores), written as PNGs where a sink has a
 * folder. Between chunks it yields (so that Ctrl-C is seen) and stops when asked: `done` says
 * how many images it made. Returns per sink the masks by id. Masks are per image: neither the
 * chunking nor the split of the samples changes them.
 */
export async function stageMasks(
  model: Classifier, method: Method, pseudo: PseudoConfig, samples: readonly Sample[], sinks: readonly MaskSink[],
  tick: (n: number) => void, shouldStop: () => boolean,
): Promise<{ masks: Array<Map<string, Uint8Array>>; done: number }> {
  const masks = sinks.map(() => new Map<string, Uint8Array>());
  let done = 0;
  for (let i = 0; i < samples.length; i += PSEUDO_CHUNK) {
    const chunk = samples.slice(i, i + PSEUDO_CHUNK);
    const raw = new Map<string, PseudoMask>();
    makePseudoMasks(model, chunk, { ...pseudo, pamr: false, method, onMask: (id, r) => raw.set(id, r) });
    // the refined variant: the chunk's raw scores through PAMR together, by image size
    const refined = new Map<string, Uint8Array>();
    if (sinks.some((m) => m.pamr))
      for (const { group, images } of sameSizeBatches(chunk, PSEUDO_CHUNK)) {
        const out = refinePseudoMasks(images, group.map((s) => raw.get(s.id)!));
        group.forEach((s, k) => refined.set(s.id, out[k]!));
      }
    for (const sample of chunk)
      sinks.forEach((sink, k) => {
        const mask = sink.pamr ? refined.get(sample.id)! : raw.get(sample.id)!.mask;
        masks[k]!.set(sample.id, mask);
        if (!sink.dir) return;
        const file = maskAtFileSize(sample, mask); // at the image file's own size
        writeFileAtomic(join(sink.dir, `${sample.id}.png`), encodePalettePng(file.width, file.height, file.mask));
      });
    done += chunk.length;
    tick(chunk.length);
    await yieldToEventLoop();
    if (shouldStop() && done < samples.length) break;
  }
  return { masks, done };
}

/**
 * Pseudo-masks of the train split in each asked variant, from one multi-scale pass of the
 * classifier (the refined variant refines the raw scores); each variant is written as palette
 * PNGs when `write`, always scored, and recorded in the ledger under its own key. Where stages
 * may run side by side (../side-by-side.ts), a worker thread makes the second half.
 */
export async function pseudoMaskStage(ctx: RunContext, method: Method, model: Classifier, variants: readonly PseudoVariant[]): Promise<PseudoResult[]> {
  const keyOf = (v: PseudoVariant) => `pseudo-${slug(method)}${v.pamr ? '-pamr' : ''}`;
  const todo = variants.filter((v) => !(keyOf(v) in ctx.ledger.done));
  if (todo.length > 0) {
    await yieldToEventLoop();
    if (ctx.shouldStop()) throw new Interrupted(`interrupted before ${keyOf(todo[0]!)}; the stages done so far are saved`);
    const t0 = performance.now();
    const sinks: MaskSink[] = todo.map((v) => ({ pamr: v.pamr, dir: v.write ? ctx.dir.pseudoDir(`${method}${v.pamr ? '-pamr' : ''}`) : null }));
    const task = ctx.progress.start('pseudo-masks', ctx.train.length);
    const n = ctx.train.length;
    const split = sideBySide(ctx) && n >= 2 * PSEUDO_CHUNK ? Math.ceil(n / 2 / PSEUDO_CHUNK) * PSEUDO_CHUNK : n;
    let parts: Array<{ masks: Array<Map<string, Uint8Array>>; done: number }>;
    try {
      if (split === n) parts = [await stageMasks(model, method, ctx.config.pseudo, ctx.train, sinks, (k) => task.tick(k), ctx.shouldStop)];
      else {
        // the worker's progress counts in this stage's one task
        const shared = { ...ctx, progress: { start: () => ({ tick: (k = 1) => task.tick(k), done: () => {} }) } };
        const makeJob = (stop: Int32Array): PseudoJob => ({
          kind: 'pseudo', method, samples: ctx.train.slice(split), sinks, config: ctx.config, root: ctx.dir.root, backend: getBackend().backend,
          classes: ctx.classes, classifier: ctx.dir.checkpoint(`classifier-${slug(method)}`), stop,
        });
        const [mine, theirs] = await besideWorker(shared, `pseudo-masks (${method})`, makeJob, (shouldStop) =>
          stageMasks(model, method, ctx.config.pseudo, ctx.train.slice(0, split), sinks, (k) => task.tick(k), shouldStop),
        );
        if (mine.status === 'rejected') throw mine.reason;
        if (theirs.status === 'rejected') throw theirs.reason;
        parts = [mine.value, theirs.value.result as PseudoJobResult];
      }
    } finally {
      task.done();
    }
    const done = parts.reduce((a, p) => a + p.done, 0);
    if (done < n) throw new Interrupted(`pseudo-masks (${method}) interrupted after ${done} of ${n} images (made again on resume)`);
    const seconds = (performance.now() - t0) / 1000;
    todo.forEach((v, k) => {
      const masks = new Map(parts.flatMap((p) => [...p.masks[k]!]));
      ctx.ledger.done[keyOf(v)] = { dir: sinks[k]!.dir, score: scoreMasks(masks, ctx.train, ctx.classes.length) } satisfies PseudoResult;
      ctx.ledger.timings[keyOf(v)] = (ctx.ledger.timings[keyOf(v)] ?? 0) + seconds / todo.length;
    });
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
