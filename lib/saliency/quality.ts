/**
 * How saliency maps compare with the true foreground (labels 1..C; 0 background, 255 ignored):
 * precision, recall and F-measure of S > 0.5, mean absolute error, and recall per class.
 */
import { IGNORE_LABEL } from '../data/sample.js';

/** The scores over every image added. */
export interface SaliencyQuality {
  images: number;
  /** Of the pixels marked salient (S > 0.5), the share that are foreground. */
  precision: number;
  /** Of the foreground pixels, the share marked salient. */
  recall: number;
  /** F-measure with beta^2 = 0.3, the salient-object-detection convention (precision weighs more). */
  fMeasure: number;
  /** Mean absolute difference between the map and the binary foreground. */
  mae: number;
  /** Per class present in the masks: the share of its pixels marked salient (a detector's missed classes show here). */
  classRecall: Array<{ name: string; recall: number }>;
}

/** Accumulates SaliencyQuality image by image. */
export class SaliencyQualityScore {
  private images = 0;
  private pixels = 0;
  private absError = 0;
  private readonly classPixels = new Float64Array(256);
  private readonly classMarked = new Float64Array(256);

  /** Score one map [H,W] in [0,1] against its label mask [H,W]. */
  add(map: ArrayLike<number>, truth: ArrayLike<number>): this {
    if (map.length !== truth.length) throw new RangeError('SaliencyQualityScore.add: map and truth differ in length');
    this.images++;
    for (let p = 0; p < map.length; p++) {
      const label = truth[p];
      if (label === IGNORE_LABEL) continue;
      this.pixels++;
      this.absError += Math.abs(map[p] - (label > 0 ? 1 : 0));
      this.classPixels[label]++;
      if (map[p] > 0.5) this.classMarked[label]++;
    }
    return this;
  }

  /** The scores, naming class c by names[c-1] (class<c> beyond them); null before any image. */
  summary(names: readonly string[] = []): SaliencyQuality | null {
    if (this.images === 0) return null;
    let foreground = 0, hits = 0;
    for (let c = 1; c < IGNORE_LABEL; c++) { foreground += this.classPixels[c]; hits += this.classMarked[c]; }
    const marked = hits + this.classMarked[0];
    const precision = marked > 0 ? hits / marked : NaN, recall = foreground > 0 ? hits / foreground : NaN;
    const classRecall: SaliencyQuality['classRecall'] = [];
    for (let c = 1; c < IGNORE_LABEL; c++) if (this.classPixels[c] > 0) classRecall.push({ name: names[c - 1] ?? `class${c}`, recall: this.classMarked[c] / this.classPixels[c] });
    return { images: this.images, precision, recall, fMeasure: (1.3 * precision * recall) / (0.3 * precision + recall), mae: this.absError / this.pixels, classRecall };
  }
}

/** The scores as the lines `epsx saliency` prints. */
export function formatSaliencyQuality(q: SaliencyQuality): string[] {
  return [
    `against the true foreground of ${q.images} image(s) with a mask (S > 0.5): precision ${q.precision.toFixed(3)}, recall ${q.recall.toFixed(3)}, F-measure (beta^2 0.3) ${q.fMeasure.toFixed(3)}, MAE ${q.mae.toFixed(3)}`,
    `recall per class: ${q.classRecall.map((c) => `${c.name} ${c.recall.toFixed(3)}`).join(', ')}`,
  ];
}
