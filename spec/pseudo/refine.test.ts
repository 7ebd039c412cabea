/** The run's one-pass pseudo stage: PAMR-refined masks from the raw scores equal makePseudoMasks with pamr. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor } from '../../lib/index.js';
import { synthetic } from '../../lib/data/synthetic.js';
import { makePseudoMasks, refinePseudoMask } from '../../lib/pseudo-dataset.js';
import { Classifier } from '../../models/index.js';

test('refinePseudoMask(raw scores) = makePseudoMasks({ pamr: true }), for cam and eps++', () => {
  const ds = synthetic({ train: 5, val: 1, size: 32 });
  const samples = ds.ids('train').map((id) => ds.load(id));
  const model = new Classifier({ numClasses: ds.classes.length, width: 4, seed: 3 });
  for (const method of ['cam', 'eps++'] as const) {
    const opts = { scales: [1, 0.5], method };
    const refined = makePseudoMasks(model, samples, { ...opts, pamr: true });
    let compared = 0;
    let changed = 0;
    makePseudoMasks(model, samples, {
      ...opts,
      pamr: false,
      onMask: (id, r) => {
        const s = samples.find((x) => x.id === id)!;
        assert.equal(Array.from(refinePseudoMask(new Tensor(s.image, [1, 3, s.height, s.width]), r)), Array.from(refined.get(id)!), `${method} ${id}`);
        compared++;
        if (r.mask.some((v, i) => v !== refined.get(id)![i])) changed++;
      },
    });
    assert.is(compared, samples.length);
    assert.ok(changed > 0, `${method}: PAMR changed some mask (the comparison is not vacuous)`);
  }
});

test.run();
