/**
 * The eps++ schedule (docs/method.md#ird-warm-up): a warm-up with another saliency loss, then
 * exactly the IRD loss. classifierLoss is checked against the loss functions on the same maps,
 * and trainClassifier against the step at which it switches and the record it logs there.
 */
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, gap, slice, softmax, tensor, withPrecision } from '../../lib/index.js';
import { CAM_FOREGROUND_THRESHOLD, camAgreement, camForeground, clsLoss, epsSaliencyLoss, irdSaliencyLoss, undroppedSaliencyLoss } from '../../lib/losses/index.js';
import { pamr } from '../../ops/pamr.js';
import { synthetic } from '../../lib/data/synthetic.js';
import { classifierLoss, classifierTrainDefaults, irdStartStep, trainClassifier, type ClassifierTrainConfig, type LossPhase } from '../../lib/train/classifier.js';
import { sgdFor } from '../../lib/train/config.js';
import type { StepRecord } from '../../lib/train/trainer.js';
import { Classifier } from '../../models/index.js';
import { seedArb } from '../helpers/arbitrary.js';
import { assertClose, lossInputs } from './fixtures.js';

const sizeArb = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 5 }), fc.integer({ min: 2, max: 5 }));
const t = (r: { data: number[]; shape: number[] }): Tensor => tensor(r.data, r.shape);
const fast = { pamrDilations: [1, 2], pamrIterations: 3 };

/** A classifier that returns fixed maps z (at the image size, so nothing is resized) and their class scores. */
const fixedMaps = (z: Tensor) => ({ forward: () => ({ maps: z, scores: gap(slice(z, 1, 1, z.shape[1]!)) }) }) as unknown as Classifier;

test('eps++ before the switch is L_cls + the warm-up loss (none for cls), after it L_cls + irdSaliencyLoss, on the same maps', () => {
  fc.assert(
    fc.property(sizeArb, seedArb, fc.constantFrom('eps-cam' as const, 'eps' as const, 'undropped' as const, 'cls' as const), ([N, C, h, w], seed, warmupLoss) => {
      withPrecision('float64', () => {
        const x = lossInputs(N, C, h, w, seed);
        const [z, y, S, image] = [t(x.z), t(x.labels), t(x.saliency), t(x.image)];
        const cfg: ClassifierTrainConfig = { ...classifierTrainDefaults, ...fast, method: 'eps++', warmupLoss };
        const lossAt = (phase: LossPhase) => classifierLoss(fixedMaps(z), image, S, y, cfg, phase).loss.item();
        const cls = clsLoss(gap(slice(z, 1, 1, C + 1)), y).item();
        const pamrOpts = { dilations: fast.pamrDilations, iterations: fast.pamrIterations };
        const eps = { tau: cfg.tau, lambda: cfg.lambda };
        const warm = {
          'eps-cam': () => epsSaliencyLoss(z, y, S, { ...eps, valid: camAgreement(z, y, S, image, pamrOpts) }).item(),
          eps: () => epsSaliencyLoss(z, y, S, eps).item(),
          undropped: () => undroppedSaliencyLoss(z, y, S).item(),
          cls: () => 0,
        }[warmupLoss]();
        assertClose([lossAt('warmup')], [cls + warm], 1e-12, `warm-up (${warmupLoss})`);
        const ird = irdSaliencyLoss(z, y, S, image, { dilations: fast.pamrDilations, iterations: fast.pamrIterations });
        assertClose([lossAt('ird')], [cls + ird.item()], 1e-12, 'IRD');
      });
    }),
    { numRuns: 40 },
  );
});

test('camForeground: per present class relu(Z_c) / its max over the image, then the max over present classes', () => {
  fc.assert(
    fc.property(sizeArb, seedArb, ([N, C, h, w], seed) => {
      withPrecision('float64', () => {
        const x = lossInputs(N, C, h, w, seed);
        const got = camForeground(t(x.z), t(x.labels)).data;
        const hw = h * w;
        for (let n = 0; n < N; n++) {
          const want = new Array<number>(hw).fill(0);
          for (let c = 1; c <= C; c++) {
            if (!x.labels.data[n * C + c - 1]) continue;
            const cam = Array.from({ length: hw }, (_, p) => Math.max(0, x.z.data[(n * (C + 1) + c) * hw + p]!));
            const top = Math.max(1e-5, ...cam);
            cam.forEach((v, p) => (want[p] = Math.max(want[p]!, v / top)));
          }
          assertClose(Array.from(got.subarray(n * hw, (n + 1) * hw)), want, 1e-12, `image ${n}`);
        }
      });
    }),
    { numRuns: 40 },
  );
});

test('camAgreement is 1 exactly where [PAMR(I, camForeground) > 0.2] equals B(S)', () => {
  fc.assert(
    fc.property(sizeArb, seedArb, ([N, C, h, w], seed) => {
      withPrecision('float64', () => {
        const x = lossInputs(N, C, h, w, seed);
        const [z, y, S, image] = [t(x.z), t(x.labels), t(x.saliency), t(x.image)];
        const opts = { dilations: fast.pamrDilations, iterations: fast.pamrIterations };
        const refined = pamr(image, camForeground(z, y), opts).data;
        const want = Array.from(refined, (r, p) => ((r > CAM_FOREGROUND_THRESHOLD) === (x.saliency.data[p]! > 0.5) ? 1 : 0));
        assert.equal(Array.from(camAgreement(z, y, S, image, opts).data), want);
      });
    }),
    { numRuns: 40 },
  );
});

test('undroppedSaliencyLoss is the per-image mean of (M_fg - S)^2, averaged over the batch', () => {
  fc.assert(
    fc.property(sizeArb, seedArb, ([N, C, h, w], seed) => {
      withPrecision('float64', () => {
        const x = lossInputs(N, C, h, w, seed);
        const z = t(x.z);
        const P = softmax(z, 1).data;
        let total = 0;
        for (let n = 0; n < N; n++) {
          let sq = 0;
          for (let p = 0; p < h * w; p++) {
            let mFg = 0;
            for (let c = 1; c <= C; c++) mFg += x.labels.data[n * C + c - 1]! * P[(n * (C + 1) + c) * h * w + p]!;
            sq += (mFg - x.saliency.data[n * h * w + p]!) ** 2;
          }
          total += sq / (h * w);
        }
        assertClose([undroppedSaliencyLoss(z, t(x.labels), t(x.saliency)).item()], [total / N], 1e-12);
      });
    }),
    { numRuns: 40 },
  );
});

test('cam and eps ignore the phase', () => {
  withPrecision('float64', () => {
    const x = lossInputs(2, 3, 4, 4, 7);
    const [z, y, S, image] = [t(x.z), t(x.labels), t(x.saliency), t(x.image)];
    for (const method of ['cam', 'eps'] as const) {
      const cfg = { ...classifierTrainDefaults, method };
      assert.is(classifierLoss(fixedMaps(z), image, S, y, cfg, 'warmup').loss.item(), classifierLoss(fixedMaps(z), image, S, y, cfg, 'ird').loss.item(), method);
    }
  });
});

test('irdStartStep = warmupEpochs x batches per epoch, rounded to a whole step', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 200 }), (quarters, bpe) => {
      const s = irdStartStep({ warmupEpochs: quarters / 4 }, bpe);
      assert.ok(Number.isInteger(s) && Math.abs(s - (quarters / 4) * bpe) <= 0.5);
    }),
  );
});

test('trainClassifier: warm-up steps log no IRD drops, the first IRD step carries the switch event, every later step drops', async () => {
  const ds = synthetic({ train: 8, val: 1, size: 32 });
  const samples = ds.ids('train').map((id) => ds.load(id));
  for (const warmupEpochs of [0, 0.5, 1.5]) {
    const model = new Classifier({ numClasses: ds.classes.length, width: 4 });
    const cfg: ClassifierTrainConfig = { ...classifierTrainDefaults, pamrIterations: 2, batchSize: 2, epochs: 2, augment: null, warmupEpochs };
    const records: StepRecord[] = [];
    await trainClassifier(model, sgdFor(model, cfg), samples, cfg, { onRecord: (r) => records.push(r) });
    const start = irdStartStep(cfg, 4);
    assert.is(records.length, 8);
    for (const r of records) {
      assert.is(typeof r.ird_dropped === 'number', r.step >= start, `step ${r.step}, warm-up ${warmupEpochs}: IRD on iff step >= ${start}`);
      assert.is(typeof r.event === 'string', start > 0 && r.step === start, `step ${r.step}: event only at the switch`);
    }
    if (start > 0) assert.match(String(records[start]!.event), `IRD on after ${start} warm-up steps`);
  }
});

test.run();
