/** inspectSample: the N it shows is the N the IRD loss drops with the training settings. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, noGrad } from '../../lib/index.js';
import { synthetic } from '../../lib/data/synthetic.js';
import { inspectSample } from '../../lib/inspect.js';
import { irdMaps, resizeToMap } from '../../lib/losses/index.js';
import { classifierTrainDefaults } from '../../lib/train/classifier.js';
import { DEFAULT_DILATIONS } from '../../ops/pamr-geom.js';
import { Classifier } from '../../models/index.js';
import { wakeResiduals } from '../models/helpers.js';

/** Share of map pixels in N for one sample, with the given PAMR settings. */
function droppedShare(model: Classifier, s: ReturnType<ReturnType<typeof synthetic>['load']>, C: number, dilations: number[], iterations: number): number {
  return noGrad(() => {
    model.eval();
    const image = new Tensor(s.image, [1, 3, s.height, s.width]);
    const z = model.forward(image).maps;
    const size: [number, number] = [z.shape[2]!, z.shape[3]!];
    const y = new Float32Array(C);
    for (const c of s.labels) y[c - 1] = 1;
    const { inconsistent } = irdMaps(z, new Tensor(y, [1, C]), resizeToMap(new Tensor(s.saliency, [1, 1, s.height, s.width]), size), resizeToMap(image, size), { dilations, iterations });
    return inconsistent.data.reduce((a, b) => a + b, 0) / inconsistent.size;
  });
}

test('default PAMR settings of M_r are the IRD training defaults, not the image-pixel PAMR defaults', () => {
  const ds = synthetic({ train: 12, val: 1 });
  const C = ds.classes.length;
  const model = new Classifier({ numClasses: C, width: 4 });
  wakeResiduals(model.backbone); // zero-init residuals make a random backbone's maps too smooth to tell the settings apart
  // Sharpen the random head so that M_fg crosses 0.5 in places and the PAMR settings matter.
  for (const [name, p] of model.namedParameters()) if (name.startsWith('head')) p.data.forEach((v, i) => (p.data[i] = 40 * v));
  let differs = 0;
  for (const id of ds.ids('train')) {
    const s = ds.load(id);
    const { dropped } = inspectSample(model, s, ds.classes);
    const training = droppedShare(model, s, C, classifierTrainDefaults.pamrDilations, classifierTrainDefaults.pamrIterations);
    assert.is(dropped, training, id);
    if (droppedShare(model, s, C, DEFAULT_DILATIONS, classifierTrainDefaults.pamrIterations) !== training) differs++;
  }
  assert.ok(differs > 0, 'the check must be able to tell the two settings apart');
  // Explicit settings still win.
  const s = ds.load('train_00000');
  assert.is(inspectSample(model, s, ds.classes, { pamrDilations: [1], pamrIterations: 2 }).dropped, droppedShare(model, s, C, [1], 2));
});

test.run();
