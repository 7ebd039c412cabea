/** The segmenter stage of `epsx run`: train one variant (WSSS, SSSS or the full bound) and evaluate it. */
import { rmSync } from 'node:fs';
import { saveCheckpoint } from '../../checkpoint.js';
import { evaluateSegmenter, type MiouResult } from '../../evaluate.js';
import { sgdFor } from '../../train/config.js';
import { labeledIds, mixMasks, trainSegmenter } from '../../train/segmenter.js';
import type { Classifier } from '../../../models/classifier.js';
import { Segmenter } from '../../../models/segmenter.js';
import type { RunContext } from '../context.js';
import { once } from '../ledger.js';
import { resumableTraining } from '../resumable-training.js';

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
    const optimizer = sgdFor(model, cfg);
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
