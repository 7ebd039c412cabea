/** The pseudo-mask stage of `epsx run`: the train split's pseudo-masks in each variant, written and scored. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../atomic.js';
import { decodePngLabels } from '../../data/png.js';
import { encodePalettePng } from '../../data/png-palette.js';
import type { Sample } from '../../data/sample.js';
import { maskAtFileSize, maskAtSampleSize } from '../../data/size-limit.js';
import { scoreMasks, type MiouResult } from '../../evaluate.js';
import { yieldToEventLoop, type ProgressReporter } from '../../progress.js';
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

/**
 * Pseudo-masks of the train split in each asked variant, from one multi-scale pass of the
 * classifier (the refined variant refines the raw scores); each variant is written as palette
 * PNGs when `write`, always scored, and recorded in the ledger under its own key.
 */
export async function pseudoMaskStage(ctx: RunContext, method: Method, model: Classifier, variants: readonly PseudoVariant[]): Promise<PseudoResult[]> {
  const keyOf = (v: PseudoVariant) => `pseudo-${slug(method)}${v.pamr ? '-pamr' : ''}`;
  const todo = variants.filter((v) => !(keyOf(v) in ctx.ledger.done));
  if (todo.length > 0) {
    await yieldToEventLoop();
    if (ctx.shouldStop()) throw new Interrupted(`interrupted before ${keyOf(todo[0]!)}; the stages done so far are saved`);
    const t0 = performance.now();
    const made = todo.map((v) => ({ v, dir: v.write ? ctx.dir.pseudoDir(`${method}${v.pamr ? '-pamr' : ''}`) : null, masks: new Map<string, Uint8Array>() }));
    // A few images at a time, yielding in between, so that Ctrl-C stops this stage too. One
    // progress task spans the chunks. Masks are per image: chunking does not change them.
    const task = ctx.progress.start('pseudo-masks', ctx.train.length);
    const chunkProgress: ProgressReporter = { start: () => ({ tick: (n, info) => task.tick(n, info), done: () => {} }) };
    let done = 0;
    try {
      for (let i = 0; i < ctx.train.length; i += PSEUDO_CHUNK) {
        const chunk = ctx.train.slice(i, i + PSEUDO_CHUNK);
        const raw = new Map<string, PseudoMask>();
        makePseudoMasks(model, chunk, { ...ctx.config.pseudo, pamr: false, method, progress: chunkProgress, onMask: (id, r) => raw.set(id, r) });
        // the refined variant: the chunk's raw scores through PAMR together, by image size
        const refined = new Map<string, Uint8Array>();
        if (made.some((m) => m.v.pamr))
          for (const { group, images } of sameSizeBatches(chunk, PSEUDO_CHUNK)) {
            const masks = refinePseudoMasks(images, group.map((s) => raw.get(s.id)!));
            group.forEach((s, k) => refined.set(s.id, masks[k]!));
          }
        for (const sample of chunk) {
          for (const m of made) {
            const mask = m.v.pamr ? refined.get(sample.id)! : raw.get(sample.id)!.mask;
            m.masks.set(sample.id, mask);
            if (!m.dir) continue;
            const file = maskAtFileSize(sample, mask); // at the image file's own size
            writeFileAtomic(join(m.dir, `${sample.id}.png`), encodePalettePng(file.width, file.height, file.mask));
          }
        }
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
