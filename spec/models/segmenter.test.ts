/** Segmenter: logits at input size, the sum-of-dilated-branches head, gradients everywhere, describe(). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, crossEntropy, noGrad, rand, resizeBilinear } from '../../lib/index.js';
import { Classifier, Segmenter } from '../../models/index.js';
import { wakeResiduals } from './helpers.js';

test('default segmenter: [N,C+1,H,W] logits at the input size (also for odd sizes)', () => {
  const model = new Segmenter({ numClasses: 4 });
  assert.equal(model.config, { kind: 'segmenter', width: 16, outputStride: 4, numClasses: 4, seed: 0, headLrMult: 1, rates: [1, 2, 4, 6] });
  assert.equal(noGrad(() => model.forward(rand([2, 3, 64, 64], { rng: new Rng(1) }))).shape, [2, 5, 64, 64]);
  const small = new Segmenter({ numClasses: 2, width: 2 });
  assert.equal(noGrad(() => small.forward(rand([1, 3, 30, 26]))).shape, [1, 3, 30, 26]);
});

test('output = bilinear upsampling (align_corners false) of the summed dilated branches', () => {
  const model = new Segmenter({ numClasses: 2, width: 2, rates: [1, 3] }).eval();
  const x = rand([1, 3, 32, 32], { rng: new Rng(2) });
  noGrad(() => {
    const f = model.backbone.forward(x);
    const [a, b] = model.head.branches.map((br) => br.forward(f));
    assert.equal(model.head.branches.map((br) => br.dilation), [1, 3]);
    const want = resizeBilinear(a!, [32, 32]).data.map((v, i) => v + resizeBilinear(b!, [32, 32]).data[i]!);
    model.forward(x).data.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5));
  });
});

test('gradients of a pixel loss reach every parameter; head branches get headLrMult and no decay on biases', () => {
  const model = new Segmenter({ numClasses: 3, width: 4, headLrMult: 10 });
  wakeResiduals(model.backbone); // zero-init gammas block the branches' gradients until they move
  const x = rand([2, 3, 32, 32], { rng: new Rng(3) });
  const labels = Array.from({ length: 2 * 32 * 32 }, (_, i) => (i % 7 === 0 ? 255 : i % 4));
  crossEntropy(model.forward(x), labels).backward();
  for (const [name, p] of model.namedParameters()) {
    assert.ok(p.grad !== null && p.grad.data.some((v) => v !== 0), `${name} got no gradient`);
    assert.is(p.lrMult, name.startsWith('head.') ? 10 : 1, name);
    if (name.endsWith('.bias')) assert.is(p.decay, false, name);
  }
});

test('the backbone is the classifier backbone: same config and seed give the same backbone weights', () => {
  const cls = new Classifier({ numClasses: 3, width: 4, seed: 4 });
  const seg = new Segmenter({ numClasses: 3, width: 4, seed: 4 });
  assert.equal([...seg.backbone.stateDict().keys()], [...cls.backbone.stateDict().keys()]);
  seg.backbone.parameters().forEach((p, i) => assert.equal(Array.from(p.data), Array.from(cls.backbone.parameters()[i]!.data)));
  seg.backbone.loadStateDict(cls.backbone.stateDict()); // e.g. initialise the segmenter from the trained classifier
});

test('describe() lists every layer with hand-counted parameters', () => {
  const model = new Segmenter({ numClasses: 5 });
  const d = model.describe();
  const branch = 64 * 6 * 9 + 6; // 3x3 conv 64 -> C+1 with bias
  assert.is(d.totalParams, 77_392 + 4 * branch);
  assert.is(d.totalParams, model.numParameters());
  for (const r of [1, 2, 4, 6]) {
    const row = d.rows.find((x) => x.name === `head.rate${r}`)!;
    assert.equal([row.params, row.output], [branch, '[1,6,16,16]']);
  }
  assert.is(d.rows.find((r) => r.name === '')!.output, '[1,6,64,64]');
  assert.equal(d.rows.map((r) => r.name).sort(), model.namedModules().map(([n]) => n).sort());
  assert.ok(d.flopsPerImage < 60e6, `${d.flopsPerImage / 1e6} MFLOP`);
  assert.throws(() => new Segmenter({ numClasses: 2, rates: [] }), /rates' must be a non-empty list/);
});

test.run();
