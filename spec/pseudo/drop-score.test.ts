/** DropScore / irdDropScore: how well IRD's N matches the injected saliency errors. */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { synthetic } from '../../lib/data/synthetic.js';
import { irdDropScore } from '../../lib/inspect.js';
import { DropScore } from '../../lib/metrics.js';
import { SALIENCY_ERROR_NAMES } from '../../lib/data/sample.js';
import { Classifier } from '../../models/index.js';

test('a hand-counted case: precision, recall and the per-type shares', () => {
  //           none none none  part part  cover class context (255 skipped)
  const errors = [0, 0, 0, 2, 2, 3, 1, 4, 2];
  const dropped = [1, 0, 0, 1, 0, 1, 0, 1, 1];
  const truth = [0, 1, 0, 1, 1, 0, 2, 0, 255];
  const s = new DropScore().add(dropped, errors, truth).summary();
  assert.is(s.pixels, 8);
  assert.is(s.precision, 3 / 4, 'three of four drops are errors');
  assert.is(s.recall, 3 / 5, 'three of five error pixels dropped');
  assert.is(s.dropped, 4 / 8);
  assert.equal(s.perType.map((t) => [t.type, t.pixels, t.dropped]), [['none', 3, 1], ['missing class', 1, 0], ['missing part', 2, 1], ['false coverage', 1, 1], ['context', 1, 1]]);
  assert.is(s.perType[0]!.droppedShare, 1 / 3, 'a third of the good pixels lost');
});

test('precision is the error types share of the drops; recall counts every error pixel once', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: SALIENCY_ERROR_NAMES.length - 1 }), fc.boolean()), { minLength: 1, maxLength: 60 }), (pixels) => {
      const s = new DropScore().add(pixels.map(([, d]) => (d ? 1 : 0)), pixels.map(([e]) => e)).summary();
      const drops = pixels.filter(([, d]) => d).length;
      const errorDrops = pixels.filter(([e, d]) => d && e > 0).length;
      const errorPixels = pixels.filter(([e]) => e > 0).length;
      assert.is(s.pixels, pixels.length);
      if (drops > 0) assert.ok(Math.abs(s.precision - errorDrops / drops) < 1e-12 && Math.abs(s.perType.slice(1).reduce((a, t) => a + t.shareOfDrops, 0) - s.precision) < 1e-12);
      else assert.ok(Number.isNaN(s.precision));
      if (errorPixels > 0) assert.ok(Math.abs(s.recall - errorDrops / errorPixels) < 1e-12);
      assert.is(s.perType.reduce((a, t) => a + t.pixels, 0), pixels.length);
    }),
  );
});

test('irdDropScore scores every pixel of every sample with an error record, and none without', () => {
  const ds = synthetic({ train: 3, val: 1, size: 32 });
  const samples = ds.ids('train').map((id) => ds.load(id));
  const model = new Classifier({ numClasses: ds.classes.length, width: 4 });
  const s = irdDropScore(model, samples, { pamrIterations: 2 })!;
  const counted = samples.reduce((a, x) => a + x.mask!.filter((v) => v !== 255).length, 0);
  assert.is(s.pixels, counted);
  assert.ok(s.dropped >= 0 && s.dropped <= 1);
  assert.is(irdDropScore(model, samples.map(({ errors: _e, ...rest }) => rest)), null);
  // Scored together (one batch) or one by one: the same counts.
  const alone = samples.map((x) => irdDropScore(model, [x], { pamrIterations: 2 })!);
  s.perType.forEach((t, i) => assert.is(t.dropped, alone.reduce((a, r) => a + r.perType[i]!.dropped, 0), t.type));
});

test.run();
