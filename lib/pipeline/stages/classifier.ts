/** The classifier stages of `epsx run`: train it (once per method), and score what its IRD drops. */
import { rmSync } from 'node:fs';
import { saveCheckpoint } from '../../checkpoint.js';
import { irdDropScore } from '../../inspect.js';
import type { DropSummary } from '../../metrics.js';
import { trainClassifier, type Method } from '../../train/classifier.js';
import { sgdFor } from '../../train/config.js';
import { Classifier } from '../../../models/classifier.js';
import { loadClassifier } from '../../../models/load.js';
import type { RunContext } from '../context.js';
import { once } from '../ledger.js';
import { resumableTraining } from '../resumable-training.js';
import { slug } from '../run-dir.js';

export async function classifierStage(ctx: RunContext, method: Method): Promise<Classifier> {
  const name = `classifier-${slug(method)}`;
  const path = ctx.dir.checkpoint(name);
  await once(ctx, name, async () => {
    const { config: c } = ctx;
    const cfg = { ...c.classifier, method, seed: c.seed };
    const model = new Classifier({ numClasses: ctx.classes.length, width: c.width, seed: c.seed });
    const optimizer = sgdFor(model, cfg);
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
