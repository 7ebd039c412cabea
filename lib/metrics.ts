/**
 * Evaluation metrics (docs/method.md#evaluation): the segmentation confusion matrix with per-class
 * IoU and mIoU, and how well a drop map N matches the injected saliency errors. Both accumulate
 * over images, so a dataset is scored by adding its images one by one. The saliency maps' own
 * quality (SaliencyScore) is data-level, in lib/data/saliency-score.ts.
 */
import { IGNORE_LABEL, SALIENCY_ERROR_NAMES } from './data/sample.js';

/**
 * Confusion matrix over labels 0..C (0 = background). Ground-truth pixels labelled 255 are
 * ignored; a predicted 255 (or any value outside 0..C) on a valid pixel counts as a miss.
 */
export class ConfusionMatrix {
  /** Number of labels, C + 1. */
  readonly size: number;
  /** counts[truth * size + prediction] = number of pixels. */
  readonly counts: Float64Array;
  /** Per true label: pixels whose prediction was outside 0..C. */
  readonly unassigned: Float64Array;

  /** An empty matrix for `numClasses` classes plus background. */
  constructor(numClasses: number) {
    this.size = numClasses + 1;
    this.counts = new Float64Array(this.size * this.size);
    this.unassigned = new Float64Array(this.size);
  }

  /** Count one image (or any number of pixels): prediction and truth of equal length. */
  add(prediction: ArrayLike<number>, truth: ArrayLike<number>): this {
    if (prediction.length !== truth.length) throw new RangeError(`ConfusionMatrix.add: ${prediction.length} predictions for ${truth.length} labels`);
    const { size } = this;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i];
      if (t === IGNORE_LABEL) continue;
      if (!(t >= 0 && t < size)) throw new RangeError(`ConfusionMatrix.add: true label ${t} outside 0..${size - 1} and ${IGNORE_LABEL}`);
      const p = prediction[i];
      if (p >= 0 && p < size) this.counts[t * size + p]++;
      else this.unassigned[t]++;
    }
    return this;
  }

  /** Per-label IoU = TP / (TP + FP + FN); NaN for labels absent from both prediction and truth. */
  iou(): Float64Array {
    const { size, counts } = this;
    const out = new Float64Array(size);
    for (let c = 0; c < size; c++) {
      let truthTotal = this.unassigned[c], predTotal = 0;
      for (let k = 0; k < size; k++) {
        truthTotal += counts[c * size + k];
        predTotal += counts[k * size + c];
      }
      const tp = counts[c * size + c];
      const union = truthTotal + predTotal - tp;
      out[c] = union > 0 ? tp / union : NaN;
    }
    return out;
  }

  /** Mean IoU over the labels (background included) that appear in prediction or truth; NaN when none does. */
  meanIoU(): number {
    const present = Array.from(this.iou()).filter((v) => !Number.isNaN(v));
    return present.length > 0 ? present.reduce((a, b) => a + b, 0) / present.length : NaN;
  }

  /** Share of valid pixels predicted correctly. */
  pixelAccuracy(): number {
    let correct = 0, total = 0;
    for (let c = 0; c < this.size; c++) {
      correct += this.counts[c * this.size + c];
      total += this.unassigned[c];
      for (let k = 0; k < this.size; k++) total += this.counts[c * this.size + k];
    }
    return total > 0 ? correct / total : NaN;
  }
}

/** Pixels of one injected error type, and how many of them a drop map N dropped. */
export interface DropTypeScore {
  /** SALIENCY_ERROR_NAMES entry ('none' = pixels the saliency map got right). */
  type: string;
  pixels: number;
  dropped: number;
  /** dropped / pixels: for an error type the recall of N on it, for 'none' the share of good supervision lost. */
  droppedShare: number;
  /** dropped / all dropped pixels: what share of N this type makes up (summed over error types: the precision). */
  shareOfDrops: number;
}

/** How well a drop map N matches the injected saliency errors: precision, recall, and both per error type. */
export interface DropSummary {
  /** Of the dropped pixels, the share that carries an injected error. */
  precision: number;
  /** Of the pixels carrying an injected error, the share dropped. */
  recall: number;
  /** Share of all scored pixels dropped. */
  dropped: number;
  /** One entry per SaliencyErrorType value, 'none' first. */
  perType: DropTypeScore[];
  pixels: number;
}

/**
 * Accumulates a drop map N (1 = pixel dropped from the saliency loss) against the per-pixel error
 * record of synthetic saliency maps (SaliencyErrorType values), image by image. Pixels whose true
 * label is 255 are skipped when a truth is given.
 */
export class DropScore {
  /** counts[type * 2 + dropped]. */
  private readonly counts = new Float64Array(2 * SALIENCY_ERROR_NAMES.length);

  /** Score one image: dropped and errors of equal length (truth too, when given). */
  add(dropped: ArrayLike<number>, errors: ArrayLike<number>, truth?: ArrayLike<number>): this {
    if (dropped.length !== errors.length || (truth && truth.length !== errors.length)) throw new RangeError('DropScore.add: drop map, error record and truth differ in length');
    for (let i = 0; i < errors.length; i++) {
      if (truth && truth[i] === IGNORE_LABEL) continue;
      const t = errors[i]!;
      if (!(t >= 0 && t < SALIENCY_ERROR_NAMES.length)) throw new RangeError(`DropScore.add: error type ${t} is not a SaliencyErrorType`);
      this.counts[2 * t + (dropped[i]! > 0.5 ? 1 : 0)]++;
    }
    return this;
  }

  summary(): DropSummary {
    const c = this.counts;
    const types = SALIENCY_ERROR_NAMES.map((_, t) => ({ pixels: c[2 * t]! + c[2 * t + 1]!, dropped: c[2 * t + 1]! }));
    const allDropped = types.reduce((a, t) => a + t.dropped, 0);
    const pixels = types.reduce((a, t) => a + t.pixels, 0);
    const errors = types.slice(1);
    const errorPixels = errors.reduce((a, t) => a + t.pixels, 0);
    const errorDropped = errors.reduce((a, t) => a + t.dropped, 0);
    const ratio = (n: number, d: number) => (d > 0 ? n / d : NaN);
    return {
      precision: ratio(errorDropped, allDropped),
      recall: ratio(errorDropped, errorPixels),
      dropped: ratio(allDropped, pixels),
      perType: types.map((t, i) => ({ type: SALIENCY_ERROR_NAMES[i]!, ...t, droppedShare: ratio(t.dropped, t.pixels), shareOfDrops: ratio(t.dropped, allDropped) })),
      pixels,
    };
  }
}
