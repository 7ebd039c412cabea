import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfusionMatrix } from '../../lib/metrics.js';
import { SaliencyScore } from '../../lib/data/saliency-score.js';
import { Rng } from '../../lib/core/random.js';

const C = 4;
/** Images as [truth, prediction] pairs of label arrays (truth may hold 255). */
const images = fc.array(
  fc.integer({ min: 1, max: 30 }).chain((n) =>
    fc.tuple(fc.array(fc.oneof(fc.integer({ min: 0, max: C }), fc.constant(255)), { minLength: n, maxLength: n }), fc.array(fc.integer({ min: 0, max: C }), { minLength: n, maxLength: n })),
  ),
  { minLength: 1, maxLength: 6 },
);

const score = (pairs: [number[], number[]][]) => pairs.reduce((m, [t, p]) => m.add(p, t), new ConfusionMatrix(C));

test('mIoU is 1 for a perfect prediction', () => {
  fc.assert(
    fc.property(images, (pairs) => {
      const m = score(pairs.map(([t]) => [t, t.map((v) => (v === 255 ? 0 : v))]));
      const anyValid = pairs.some(([t]) => t.some((v) => v !== 255));
      if (anyValid) assert.is(m.meanIoU(), 1);
      else assert.ok(Number.isNaN(m.meanIoU()));
    }),
  );
});

test('mIoU is invariant to permuting images', () => {
  fc.assert(
    fc.property(images, fc.nat(), (pairs, seed) => {
      const a = score(pairs).meanIoU(), b = score(new Rng(seed).shuffle(pairs)).meanIoU();
      assert.ok(Object.is(a, b) || Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
    }),
  );
});

test('pixels labelled 255 in the truth are ignored, whatever is predicted there', () => {
  fc.assert(
    fc.property(images, fc.nat(), (pairs, seed) => {
      const rng = new Rng(seed);
      const repredicted = pairs.map(([t, p]): [number[], number[]] => [t, p.map((v, i) => (t[i] === 255 ? rng.int(C + 1) : v))]);
      assert.equal(score(repredicted).counts, score(pairs).counts);
    }),
  );
});

test('worked example: IoU per class, mean over classes present, unassigned predictions are misses', () => {
  const truth = [0, 0, 1, 1, 1, 2, 255];
  const pred = [0, 1, 1, 1, 0, 2, 3];
  const m = new ConfusionMatrix(3).add(pred, truth);
  // background: TP 1, FP 1 (pixel 4), FN 1 (pixel 1) -> 1/3; class 1: TP 2, FP 1, FN 1 -> 2/4; class 2: 1/1; class 3 absent -> NaN
  const iou = Array.from(m.iou());
  assert.equal(iou.slice(0, 3), [1 / 3, 0.5, 1]);
  assert.ok(Number.isNaN(iou[3]));
  assert.ok(Math.abs(m.meanIoU() - (1 / 3 + 0.5 + 1) / 3) < 1e-12);
  assert.ok(Math.abs(m.pixelAccuracy() - 4 / 6) < 1e-12);
  const miss = new ConfusionMatrix(1).add([255, 1], [1, 1]);
  assert.equal(Array.from(miss.iou()), [NaN, 0.5]);
});

test('saliency precision, recall and error shares', () => {
  const saliency = [0.9, 0.8, 0.2, 0.7, 0.1, 0.6, 0.9];
  const truth = [1, 2, 1, 0, 0, 0, 255];
  const errors = [0, 0, 2, 3, 0, 3, 0];
  const s = new SaliencyScore().add(saliency, truth, errors).summary();
  // marked: 0,1,3,5 -> 2 foreground of 4; foreground: 0,1,2 -> 2 of 3 marked
  assert.is(s.precision, 0.5);
  assert.is(s.recall, 2 / 3);
  assert.equal([s.missingClassShare, s.missingPartShare, s.falseCoverageShare, s.pixels], [0, 1 / 6, 2 / 6, 6]);
});

test.run();
