/**
 * What a generated dataset turned out to contain: class frequencies, realised error rates and
 * saliency quality, accumulated image by image and formatted as the `epsx synth` summary.
 */
import { SaliencyScore } from '../metrics.js';
import type { Sample, Split } from './sample.js';
import type { SaliencyErrorRates } from './synthetic-saliency.js';

const percent = (n: number, d: number) => (d > 0 ? `${((100 * n) / d).toFixed(1)}%` : '-');

/** Accumulates per-split statistics of samples (synthetic ones carry `errors`). */
export class SyntheticStats {
  private readonly images: Record<Split, number> = { train: 0, val: 0 };
  private readonly classImages: Record<Split, number[]>;
  private imagesMissingClass = 0;
  private imagesFalseCoverage = 0;
  private objects = 0;
  private eligibleObjects = 0;
  private partialObjects = 0;
  readonly saliency = new SaliencyScore();

  /** Statistics for classes 1..numClasses. */
  constructor(numClasses: number) {
    this.classImages = { train: new Array(numClasses + 1).fill(0), val: new Array(numClasses + 1).fill(0) };
  }

  /** Count one sample of `split`. */
  add(sample: Sample, split: Split): this {
    this.images[split]++;
    for (const c of sample.labels) this.classImages[split][c]++;
    const e = sample.errors;
    if (e) {
      if (e.missingClasses.length > 0) this.imagesMissingClass++;
      if (e.falsePatches > 0) this.imagesFalseCoverage++;
      this.objects += e.objectClasses.length;
      this.eligibleObjects += e.objectClasses.filter((c) => !e.missingClasses.includes(c)).length;
      this.partialObjects += e.partialObjects.length;
    }
    if (sample.mask) this.saliency.add(sample.saliency, sample.mask, e?.pixels);
    return this;
  }

  /** The summary as text lines: class frequencies, error rates (asked vs. realised), saliency quality. */
  format(classes: string[], rates?: SaliencyErrorRates): string[] {
    const total = this.images.train + this.images.val;
    const width = Math.max(...classes.map((c) => c.length));
    const lines = ['class frequency (share of images containing the class):'];
    classes.forEach((name, i) => lines.push(`  ${name.padEnd(width)}  train ${percent(this.classImages.train[i + 1], this.images.train).padStart(6)}  val ${percent(this.classImages.val[i + 1], this.images.val).padStart(6)}`));
    if (rates) {
      lines.push(`injected saliency errors (rate asked -> realised), ${this.objects} objects in ${total} images:`);
      lines.push(`  missing class   ${rates.missingClass.toFixed(2)} -> ${percent(this.imagesMissingClass, total)} of images`);
      lines.push(`  missing part    ${rates.missingObject.toFixed(2)} -> ${percent(this.partialObjects, this.eligibleObjects)} of objects (those of a missing class excluded)`);
      lines.push(`  false coverage  ${rates.falseCoverage.toFixed(2)} -> ${percent(this.imagesFalseCoverage, total)} of images`);
    }
    const s = this.saliency.summary();
    lines.push(`saliency vs. true foreground (S > 0.5): precision ${s.precision.toFixed(3)}, recall ${s.recall.toFixed(3)}`);
    if (rates) {
      lines.push(`  share of pixels per error: missing class ${percent(s.missingClassShare, 1)}, missing part ${percent(s.missingPartShare, 1)}, false coverage ${percent(s.falseCoverageShare, 1)}`);
    }
    return lines;
  }
}
