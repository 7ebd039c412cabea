/**
 * The quality of saliency maps against the true foreground (docs/method.md#evaluation),
 * accumulated image by image. Data-level: the synthetic generator reports it for its own maps.
 */
import { IGNORE_LABEL, SALIENCY_ERROR_NAMES, SaliencyErrorType } from './sample.js';

/** Saliency quality summary; shares are fractions of all scored pixels. */
export interface SaliencySummary {
  /** Of the pixels the saliency marks (S > 0.5), the share that is true foreground. */
  precision: number;
  /** Of the true foreground pixels, the share the saliency marks. */
  recall: number;
  /** Share of pixels in each injected error type. */
  missingClassShare: number;
  missingPartShare: number;
  falseCoverageShare: number;
  contextShare: number;
  /** Number of pixels scored (truth 255 excluded). */
  pixels: number;
}

/** Accumulates saliency quality over images: binarised saliency (S > 0.5) vs. foreground (label 1..C). */
export class SaliencyScore {
  private truePositive = 0;
  private marked = 0;
  private foreground = 0;
  private scored = 0;
  private readonly errorCounts = new Float64Array(SALIENCY_ERROR_NAMES.length);

  /** Score one image; `errors` is its per-pixel error-type map when known. */
  add(saliency: ArrayLike<number>, truth: ArrayLike<number>, errors?: ArrayLike<number>): this {
    if (saliency.length !== truth.length || (errors && errors.length !== truth.length)) throw new RangeError('SaliencyScore.add: saliency, truth and errors differ in length');
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i];
      if (t === IGNORE_LABEL) continue;
      const isMarked = saliency[i] > 0.5, isForeground = t > 0;
      this.scored++;
      if (isMarked) this.marked++;
      if (isForeground) this.foreground++;
      if (isMarked && isForeground) this.truePositive++;
      if (errors) this.errorCounts[errors[i]]++;
    }
    return this;
  }

  /** Precision, recall and error shares so far (NaN where undefined, e.g. nothing marked). */
  summary(): SaliencySummary {
    const share = (n: number) => (this.scored > 0 ? n / this.scored : NaN);
    return {
      precision: this.marked > 0 ? this.truePositive / this.marked : NaN,
      recall: this.foreground > 0 ? this.truePositive / this.foreground : NaN,
      missingClassShare: share(this.errorCounts[SaliencyErrorType.missingClass]),
      missingPartShare: share(this.errorCounts[SaliencyErrorType.missingPart]),
      falseCoverageShare: share(this.errorCounts[SaliencyErrorType.falseCoverage]),
      contextShare: share(this.errorCounts[SaliencyErrorType.context]),
      pixels: this.scored,
    };
  }
}
