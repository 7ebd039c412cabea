/**
 * Where a classifier's pseudo-masks go wrong on the synthetic set: for each background
 * threshold, the mIoU, the share of background pixels labelled as a class, the share of object
 * pixels missed, and, per saliency error type of the generator's record, the share of those
 * pixels the pseudo-mask gets right (object vs background). A method that learnt the saliency
 * map's errors labels the context and the salient distractors as objects; CAM never saw them.
 *
 * Run: `node --import tsx bench/pseudo-errors.ts [OPTIONS_JSON] N CKPT...` (the first N train images
 * of the synthetic set, the default one unless generator options are given as JSON, e.g.
 * '{"appearance":"parts"}'; one pass at scale 1, no flip, no PAMR, so it measures the maps alone).
 * The method of each checkpoint is the one stored in its metadata (`epsx train-cls`, `epsx run`).
 */
import { basename, dirname } from 'node:path';
import { ConfusionMatrix, METHODS, SALIENCY_ERROR_NAMES, loadClassifier, makePseudoMasks, readCheckpoint, synthetic, type Method, type SyntheticOptions } from '../lib/index.js';

const args = process.argv.slice(2);
const options = args[0]?.startsWith('{') ? (JSON.parse(args.shift()!) as SyntheticOptions) : {};
const [countArg, ...checkpoints] = args;
const count = Number(countArg);
if (!Number.isInteger(count) || count < 1 || checkpoints.length === 0) throw new Error('usage: bench/pseudo-errors.ts [OPTIONS_JSON] N CKPT...');
const data = synthetic(options);
const samples = data.ids('train').slice(0, count).map((id) => data.load(id));
const thresholds = [0.1, 0.2, 0.3, 0.4, 0.5];
const methodOf = (path: string): Method => {
  const method = readCheckpoint(path, 'classifier').metadata.method as Method;
  if (!METHODS.includes(method)) throw new Error(`${path}: no training method in the checkpoint's metadata`);
  return method;
};

console.log(`first ${count} train images of the synthetic set ${JSON.stringify(options)}; scale 1, no flip, no PAMR`);
console.log(['checkpoint', 'method', 'threshold', 'mIoU', 'bg->class', 'object missed', ...SALIENCY_ERROR_NAMES.map((n) => `right on ${n}`)].join('\t'));
for (const path of checkpoints) {
  const model = loadClassifier(path);
  const method = methodOf(path);
  for (const threshold of thresholds) {
    const masks = makePseudoMasks(model, samples, { method, threshold, scales: [1], flip: false });
    const cm = new ConfusionMatrix(model.config.numClasses);
    const right = new Array<number>(SALIENCY_ERROR_NAMES.length).fill(0), seen = new Array<number>(SALIENCY_ERROR_NAMES.length).fill(0);
    let bgAsClass = 0, bg = 0, missed = 0, fg = 0;
    for (const s of samples) {
      const p = masks.get(s.id)!, truth = s.mask!, errors = s.errors?.pixels;
      cm.add(p, truth);
      for (let i = 0; i < p.length; i++) {
        const g = truth[i]!;
        if (g === 255) continue;
        if (g === 0) { bg++; if (p[i] !== 0) bgAsClass++; } else { fg++; if (p[i] !== g) missed++; }
        if (errors) { seen[errors[i]!]++; if ((g === 0) === (p[i] === 0)) right[errors[i]!]++; }
      }
    }
    const share = (a: number, b: number) => (b > 0 ? (a / b).toFixed(3) : '-');
    console.log([`${basename(dirname(path))}/${basename(path)}`, method, threshold, cm.meanIoU().toFixed(3), share(bgAsClass, bg), share(missed, fg), ...right.map((r, k) => share(r, seen[k]!))].join('\t'));
  }
}
