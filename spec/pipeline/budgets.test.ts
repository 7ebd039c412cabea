import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AUTO_BUDGETS, autoEpochs, budgetNote, mergeConfig, resolveBudgets, runDefaults, validateRunConfig } from '../../lib/pipeline/config.js';

test("the default run's 'auto' epochs on the default 1000-image set: 6 classifier epochs (IRD after 4), 2 per segmenter", () => {
  const r = resolveBudgets(runDefaults, 1000);
  assert.equal([r.classifier.epochs, r.classifier.warmupEpochs, r.segmenter.epochs], [6, 4, 2]);
  assert.is(budgetNote(runDefaults, r, 1000), 'budget for 1000 train images: classifier 6 epochs, IRD after 4, segmenters 2 epochs (auto: at least 6 and 2 passes, 6000 and 2000 images seen)');
});

test("'auto' epochs: at least the base passes and the base number of images seen, and no more passes than that needs", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom('classifier', 'segmenter') as fc.Arbitrary<keyof typeof AUTO_BUDGETS>, (n, stage) => {
      const e = autoEpochs(stage, n), { epochs, images } = AUTO_BUDGETS[stage];
      assert.ok(e >= epochs && e * n >= images, `${stage}, ${n} images: ${e} epochs`);
      assert.ok(e === epochs || (e - 1) * n < images, `${stage}, ${n} images: ${e} epochs is more than the budget needs`);
    }),
  );
  assert.equal([autoEpochs('classifier', 600), autoEpochs('segmenter', 600)], [10, 4]);
});

test('numbers given in the config are kept; an auto warm-up is two thirds of the resolved classifier epochs', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), (n, cls, seg) => {
      const given = validateRunConfig(mergeConfig(runDefaults, { classifier: { epochs: cls, warmupEpochs: 0.5 }, segmenter: { epochs: seg } }, 'test'), 'test');
      const r = resolveBudgets(given, n);
      assert.equal([r.classifier.epochs, r.classifier.warmupEpochs, r.segmenter.epochs], [cls, 0.5, seg]);
      assert.is(budgetNote(given, r, n), '');
      const autoWarmup = resolveBudgets(mergeConfig(runDefaults, { classifier: { epochs: cls } }, 'test'), n);
      assert.is(autoWarmup.classifier.warmupEpochs, (2 * cls) / 3);
    }),
    { numRuns: 50 },
  );
});

test("config files may write 'auto', and nothing else that is not a number", () => {
  assert.not.throws(() => validateRunConfig(mergeConfig(runDefaults, { classifier: { epochs: 'auto', warmupEpochs: 'auto' }, segmenter: { epochs: 'auto' } }, 'f.json'), 'f.json'));
  assert.throws(() => validateRunConfig(mergeConfig(runDefaults, { segmenter: { epochs: 'many' } }, 'f.json'), 'f.json'), /f\.json: 'segmenter\.epochs' must be an integer >= 1 or "auto", got "many"/);
});

test.run();
