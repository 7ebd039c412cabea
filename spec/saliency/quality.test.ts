import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SaliencyQualityScore, formatSaliencyQuality } from '../../lib/saliency/quality.js';

test('scores by hand: precision, recall, F-measure, MAE and recall per class; ignore (255) is left out', () => {
  // truth: two pixels of class 1, one of class 2, two background, one ignored
  const truth = [1, 1, 2, 0, 0, 255];
  const map = [0.9, 0.2, 0.6, 0.7, 0.0, 1.0];
  const q = new SaliencyQualityScore().add(map, truth).summary(['a', 'b'])!;
  // marked (S > 0.5) outside ignore: pixels 0, 2, 3 -> 2 of them foreground; foreground 3 -> 2 marked
  assert.is(q.precision, 2 / 3);
  assert.is(q.recall, 2 / 3);
  assert.ok(Math.abs(q.fMeasure - 2 / 3) < 1e-12);
  assert.ok(Math.abs(q.mae - (0.1 + 0.8 + 0.4 + 0.7 + 0) / 5) < 1e-12);
  assert.equal(q.classRecall, [{ name: 'a', recall: 0.5 }, { name: 'b', recall: 1 }]);
  assert.match(formatSaliencyQuality(q).join('\n'), /precision 0\.667, recall 0\.667, F-measure \(beta\^2 0\.3\) 0\.667, MAE 0\.400\nrecall per class: a 0\.500, b 1\.000/);
  assert.is(new SaliencyQualityScore().summary(), null);
  assert.throws(() => new SaliencyQualityScore().add([0], [0, 0]), /differ in length/);
});

test.run();
