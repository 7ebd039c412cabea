/**
 * The playground's engine side: a tiny synthetic set, one classifier per method trained step by
 * step with the same loop as `epsx train-cls` (trainClassifier, stopped after every step and
 * resumed), and the maps a learner watches. Imports no DOM and no node: module, so it runs in
 * the page and under Node alike.
 */
import { noGrad } from '../../lib/core/autograd.js';
import { generateSample, resolveSyntheticOptions, type SyntheticOptions } from '../../lib/data/synthetic.js';
import type { Sample } from '../../lib/data/sample.js';
import { irdMaps } from '../../lib/losses/ird.js';
import { resizeToMap } from '../../lib/losses/maps.js';
import { pseudoMask } from '../../lib/pseudo.js';
import { Tensor } from '../../lib/core/tensor.js';
import { classifierTrainDefaults, trainClassifier, type ClassifierTrainConfig, type Method } from '../../lib/train/classifier.js';
import { sgdFor } from '../../lib/train/config.js';
import type { Position, StepRecord } from '../../lib/train/trainer.js';
import type { SGD } from '../../lib/optim/sgd.js';
import { Classifier } from '../../models/classifier.js';
import { softmax } from '../../ops/activation.js';

/** What a learner can change; every field has the default of `playgroundDefaults`. */
export interface PlaygroundSettings {
  methods: Method[];
  /** Training length per method: the poly learning-rate schedule ends here. */
  steps: number;
  seed: number;
  /** Training images (side `size`), and the batch size. */
  images: number;
  size: number;
  batchSize: number;
  tau: number;
  lambda: number;
  /** The constant background score of the pseudo-masks. */
  threshold: number;
  /** PAMR iterations of the IRD (training and the M_r panel). */
  pamrIterations: number;
  /** Synthetic generator: error model and rates (SyntheticOptions names). */
  data: Pick<SyntheticOptions, 'errors' | 'partMiss' | 'contactMiss' | 'contextSalient' | 'distractorSalient' | 'missingClass' | 'missingObject' | 'falseCoverage' | 'companion'>;
}

/** Small enough to watch on a laptop: 16 images of 32x32, 4 classes, batches of 8. */
export const playgroundDefaults: PlaygroundSettings = {
  methods: ['cam', 'eps', 'eps++'],
  steps: 200,
  seed: 0,
  images: 16,
  size: 32,
  batchSize: 8,
  tau: classifierTrainDefaults.tau,
  lambda: classifierTrainDefaults.lambda,
  threshold: 0.2,
  pamrIterations: classifierTrainDefaults.pamrIterations,
  data: { errors: 'systematic' },
};

const CLASSES = 4;

/** One step's numbers, as the curves plot them. */
export interface CurvePoint {
  step: number;
  loss: number;
  /** eps++ once the IRD is on: share of map pixels in N. */
  dropped?: number;
}

/** One method's classifier and where its training stands. */
export class MethodRun {
  readonly model: Classifier;
  readonly optimizer: SGD;
  readonly cfg: ClassifierTrainConfig;
  readonly curve: CurvePoint[] = [];
  /** Messages of the loop (the eps++ warm-up switch). */
  readonly events: string[] = [];
  /** Seconds spent in training steps, for steps per second. */
  seconds = 0;
  private next: Position = { epoch: 0, batch: 0 };
  private finished = false;

  constructor(readonly method: Method, readonly samples: readonly Sample[], settings: PlaygroundSettings) {
    const batchesPerEpoch = Math.max(1, Math.floor(samples.length / settings.batchSize));
    this.cfg = {
      ...classifierTrainDefaults,
      method,
      seed: settings.seed,
      batchSize: settings.batchSize,
      epochs: Math.ceil(settings.steps / batchesPerEpoch),
      tau: settings.tau,
      lambda: settings.lambda,
      pamrIterations: settings.pamrIterations,
    };
    // Same seed for every method: the three start from the same weights and see the same batches.
    this.model = new Classifier({ numClasses: CLASSES, seed: settings.seed });
    this.optimizer = sgdFor(this.model, this.cfg);
  }

  get step(): number {
    return this.curve.length;
  }

  get done(): boolean {
    return this.finished;
  }

  /** Train exactly one step (the shared loop, stopped right after it); false once training has ended. */
  async trainStep(): Promise<boolean> {
    if (this.finished) return false;
    const t0 = performance.now();
    const result = await trainClassifier(this.model, this.optimizer, this.samples, this.cfg, {
      start: this.next,
      shouldStop: () => true,
      onRecord: (r: StepRecord) => {
        this.curve.push({ step: r.step, loss: r.loss, ...(typeof r.ird_dropped === 'number' && { dropped: r.ird_dropped }) });
        if (r.event) this.events.push(`step ${r.step}: ${r.event}`);
      },
    });
    this.seconds += (performance.now() - t0) / 1000;
    if (result.stoppedAt === null) this.finished = true;
    else this.next = result.stoppedAt;
    return true;
  }

  /** Steps per second so far. */
  get stepsPerSecond(): number {
    return this.seconds > 0 ? this.step / this.seconds : 0;
  }

  /** The panels of one image, computed in eval mode without gradients. */
  panels(sample: Sample, threshold: number): Panels {
    const { height: H, width: W } = sample;
    const image = new Tensor(sample.image, [1, 3, H, W]);
    const y = Array.from({ length: CLASSES }, (_, c) => (sample.labels.includes(c + 1) ? 1 : 0));
    this.model.eval();
    try {
      return noGrad(() => {
        const z = this.model.forward(image).maps;
        const size: [number, number] = [z.shape[2]!, z.shape[3]!];
        const sal = resizeToMap(new Tensor(sample.saliency, [1, 1, H, W]), size);
        const ird = irdMaps(z, new Tensor(Float32Array.from(y), [1, CLASSES]), sal, resizeToMap(image, size), { dilations: this.cfg.pamrDilations, iterations: this.cfg.pamrIterations });
        const mask = pseudoMask((x) => this.model.forward(x).maps, image, y, { threshold, method: this.method }).mask;
        return { mapSize: size, P: softmax(z, 1).data, mFg: ird.mFg.data, mR: ird.mR.data, N: ird.inconsistent.data, pseudo: mask };
      });
    } finally {
      this.model.train();
    }
  }
}

/** What the panels of one image show, at the map size (P, M_fg, M_r, N) or the image size (pseudo-mask). */
export interface Panels {
  mapSize: [number, number];
  /** softmax(Z) [C+1,h,w]. */
  P: ArrayLike<number>;
  mFg: ArrayLike<number>;
  mR: ArrayLike<number>;
  N: ArrayLike<number>;
  pseudo: Uint8Array;
}

/** The data and one MethodRun per chosen method, all on the same images and seed. */
export class Session {
  readonly samples: Sample[];
  readonly runs: MethodRun[];
  readonly classes = CLASSES;

  constructor(readonly settings: PlaygroundSettings) {
    const options = resolveSyntheticOptions({ ...settings.data, train: settings.images, val: 0, size: settings.size, classes: CLASSES, seed: settings.seed });
    this.samples = Array.from({ length: settings.images }, (_, i) => generateSample(options, 'train', i));
    this.runs = settings.methods.map((m) => new MethodRun(m, this.samples, settings));
  }

  /** One step of every method that is still training; false when all have finished. */
  async step(): Promise<boolean> {
    let any = false;
    for (const run of this.runs) any = (await run.trainStep()) || any;
    return any;
  }
}
