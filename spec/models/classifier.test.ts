/** Classifier: shapes, scores = GAP of class maps, gradients everywhere, overfitting, describe(). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, UserError, add, mul, noGrad, rand, randn, sum, tensor } from '../../lib/index.js';
import { clsLoss } from '../../lib/losses/cls.js';
import { AdamW } from '../../lib/optim/index.js';
import { Classifier } from '../../models/index.js';
import { wakeResiduals } from './helpers.js';

test('default classifier: [N,C+1,16,16] maps for 64x64 images (OS 4), scores [N,C] = GAP of maps 1..C', () => {
  const model = new Classifier({ numClasses: 5 });
  assert.equal(model.config, { kind: 'classifier', width: 16, outputStride: 4, numClasses: 5, seed: 0, headLrMult: 10 });
  const { maps, scores } = noGrad(() => model.forward(rand([2, 3, 64, 64], { rng: new Rng(1) })));
  assert.equal(maps.shape, [2, 6, 16, 16]);
  assert.equal(scores.shape, [2, 5]);
  for (let n = 0; n < 2; n++)
    for (let c = 1; c <= 5; c++) {
      const plane = maps.data.subarray((n * 6 + c) * 256, (n * 6 + c + 1) * 256);
      const avg = Array.from(plane).reduce((a, b) => a + b, 0) / 256;
      assert.ok(Math.abs(scores.data[n * 5 + c - 1]! - avg) < 1e-5, `score ${n},${c}`);
    }
});

test('output stride 2 and 8 give 1/2 and 1/8 maps; other strides and bad configs are UserErrors', () => {
  const x = rand([1, 3, 32, 32], { rng: new Rng(2) });
  for (const [os, size] of [[2, 16], [8, 4]] as const) {
    const model = new Classifier({ numClasses: 2, width: 2, outputStride: os });
    assert.equal(noGrad(() => model.forward(x)).maps.shape, [1, 3, size, size]);
  }
  assert.throws(() => new Classifier({ numClasses: 2, outputStride: 16 }), (e: Error) => e instanceof UserError && /outputStride' must be 2, 4 or 8/.test(e.message));
  assert.throws(() => new Classifier({ numClasses: 0 }), /numClasses' must be an integer >= 1/);
  assert.throws(() => new Classifier({ numClasses: 2, width: 1.5 }), /width/);
  assert.throws(() => new Classifier({ numClasses: 2, ...({ depth: 3 } as object) }), /unknown field 'depth'/);
  assert.throws(() => new Classifier({ numClasses: 2 }).forward(rand([1, 1, 8, 8])), /expects images \[N,3,H,W\]/);
});

test('gradients reach every parameter; the head learns 10x faster', () => {
  const model = new Classifier({ numClasses: 3, width: 4 });
  wakeResiduals(model.backbone); // zero-init gammas block the branches' gradients until they move
  const { maps, scores } = model.forward(rand([2, 3, 32, 32], { rng: new Rng(3) }));
  add(sum(mul(maps, randn(maps.shape, { rng: new Rng(4) }))), sum(scores)).backward();
  for (const [name, p] of model.namedParameters()) {
    assert.ok(p.grad !== null && p.grad.data.some((v) => v !== 0), `${name} got no gradient`);
    assert.is(p.lrMult, name.startsWith('head.') ? 10 : 1, name);
  }
});

test('every residual block starts as its shortcut: last BatchNorm gamma 0, block output relu(shortcut(x))', () => {
  const model = new Classifier({ numClasses: 2, width: 4, seed: 3 });
  let h = noGrad(() => model.backbone.stem.forward(rand([2, 3, 16, 16], { rng: new Rng(6) })));
  for (const block of model.backbone.layers) {
    assert.ok(block.bn2.weight!.data.every((g) => g === 0) && block.bn2.bias!.data.every((b) => b === 0));
    const x = h;
    h = noGrad(() => block.forward(x));
    const skip = noGrad(() => (block.shortcut ? block.shortcut.forward(x) : x));
    h.data.forEach((v, i) => assert.ok(Math.abs(v - Math.max(0, skip.data[i]!)) < 1e-6));
  }
});

test('same seed, same weights; another seed, other weights', () => {
  const flat = (m: Classifier) => m.parameters().flatMap((p) => Array.from(p.data));
  const a = flat(new Classifier({ numClasses: 2, width: 2, seed: 7 }));
  assert.equal(a, flat(new Classifier({ numClasses: 2, width: 2, seed: 7 })));
  assert.not.equal(a, flat(new Classifier({ numClasses: 2, width: 2, seed: 8 })));
});

test('a tiny classifier overfits the labels of 4 images in a few dozen steps', () => {
  const model = new Classifier({ numClasses: 3, width: 8, seed: 1 });
  const images = rand([4, 3, 32, 32], { rng: new Rng(5) });
  const labels = tensor([1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0], [4, 3]);
  const opt = new AdamW(model.parameters(), { lr: 0.003, weightDecay: 0 });
  const losses: number[] = [];
  for (let step = 0; step < 30; step++) {
    opt.zeroGrad();
    const loss = clsLoss(model.forward(images).scores, labels);
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  const final = noGrad(() => clsLoss(model.forward(images).scores, labels).item());
  assert.ok(final < losses[0]! / 20, `loss ${losses[0]!.toFixed(4)} -> ${final.toFixed(4)} (${losses.map((l) => l.toFixed(3)).join(' ')})`);
  const scores = noGrad(() => model.forward(images).scores);
  scores.data.forEach((s, i) => assert.is(s > 0 ? 1 : 0, labels.data[i], `image ${Math.floor(i / 3)} class ${(i % 3) + 1}`));
});

test('describe() lists every layer with hand-counted parameters and shapes', () => {
  const model = new Classifier({ numClasses: 5 });
  const d = model.describe([1, 3, 64, 64]);
  // Hand count at width w = 16, C = 5 (3x3 convs: out*in*9; BN: 2 per channel; bias-free convs).
  const w = 16;
  const stem = 3 * w * 9 + 2 * w;
  const layer1 = 2 * (w * w * 9) + 2 * (2 * w);
  const layer2 = 2 * w * w * 9 + 2 * w * 2 * w * 9 + 2 * w * w + 3 * (2 * 2 * w);
  const layer3 = 4 * w * 2 * w * 9 + 4 * w * 4 * w * 9 + 4 * w * 2 * w + 3 * (2 * 4 * w);
  const head = 4 * w * 6;
  assert.is(d.totalParams, stem + layer1 + layer2 + layer3 + head);
  assert.is(d.totalParams, 77_776);
  assert.is(d.totalParams, model.numParameters());
  const row = (name: string) => d.rows.find((r) => r.name === name)!;
  assert.equal([row('backbone.stem').params, row('backbone.layer1').params, row('backbone.layer2').params, row('backbone.layer3').params, row('head').params], [stem, layer1, layer2, layer3, head]);
  assert.equal([row('backbone.stem.conv').output, row('backbone.layer1').output, row('backbone.layer2').output, row('backbone.layer3').output], ['[1,16,32,32]', '[1,16,32,32]', '[1,32,16,16]', '[1,64,16,16]']);
  assert.is(row('').output, 'maps [1,6,16,16], scores [1,5]');
  assert.is(row('backbone.layer3.conv2').params, 64 * 64 * 9);
  // Every module appears once, and leaf rows add up to the total.
  assert.equal(d.rows.map((r) => r.name).sort(), model.namedModules().map(([n]) => n).sort());
  const leaves = d.rows.filter((r) => r.name !== '' && !d.rows.some((o) => o.name.startsWith(`${r.name}.`)));
  assert.equal(leaves.map((r) => r.type).filter((t, i, a) => a.indexOf(t) === i).sort(), ['BatchNorm2d', 'Conv2d', 'ReLU']);
  assert.is(leaves.reduce((s, r) => s + r.params, 0), d.totalParams);
  for (const [name] of model.namedModules()) if (name) assert.ok(d.table.includes(name), `${name} missing from the table`);
  assert.match(d.table, /total parameters: 77,776/);
  // The cost budget: at most ~60 MFLOP per 64x64 image.
  assert.ok(d.flopsPerImage > 40e6 && d.flopsPerImage < 60e6, `${d.flopsPerImage / 1e6} MFLOP`);
  // describe() leaves the model as it was (training mode, running stats untouched).
  assert.ok(model.training && model.backbone.stem.training);
  assert.ok(model.backbone.stem.layers[1]!.stateDict().get('running_mean')!.data.every((v) => v === 0));
});

test.run();
