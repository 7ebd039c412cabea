/**
 * What a generated dataset turned out to contain: class frequencies, realised error rates and
 * saliency quality, accumulated image by image and formatted as the `epsx synth` summary.
 */
import { SaliencyScore } from './saliency-score.js';
import type { Sample, Split } from './sample.js';
import type { ResolvedSyntheticOptions } from './synthetic.js';

const percent = (n: number, d: number) => (d > 0 ? `${((100 * n) / d).toFixed(1)}%` : '-');

/** A measured rate: how many of how many chances. */
interface Count {
  hits: number;
  chances: number;
}

const count = (): Count => ({ hits: 0, chances: 0 });

/** Accumulates per-split statistics of samples (synthetic ones carry `errors`). */
export class SyntheticStats {
  private readonly images: Record<Split, number> = { train: 0, val: 0 };
  private readonly classImages: Record<Split, number[]>;
  private objects = 0;
  // Random model: per image and per object.
  private readonly missingClass = count();
  private readonly falseCoverage = count();
  private readonly partial = count();
  // Systematic model: per class present, per object, per contact, per companion, per distractor.
  private readonly classMiss: Count[];
  private readonly kindPart = count();
  private readonly contactPart = count();
  private readonly context = count();
  private readonly distractor = count();
  readonly saliency = new SaliencyScore();

  /** Statistics for classes 1..numClasses. */
  constructor(numClasses: number) {
    this.classImages = { train: new Array(numClasses + 1).fill(0), val: new Array(numClasses + 1).fill(0) };
    this.classMiss = Array.from({ length: numClasses + 1 }, count);
  }

  /** Count one sample of `split`. */
  add(sample: Sample, split: Split): this {
    this.images[split]++;
    for (const c of sample.labels) this.classImages[split][c]++;
    const e = sample.errors;
    if (e) {
      const tally = (c: Count, hits: number, chances: number) => { c.hits += hits; c.chances += chances; };
      const present = [...new Set(e.objectClasses)];
      this.objects += e.objectClasses.length;
      tally(this.missingClass, e.missingClasses.length > 0 ? 1 : 0, 1);
      tally(this.falseCoverage, e.falsePatches > 0 ? 1 : 0, 1);
      tally(this.partial, e.partialObjects.length, e.objectClasses.filter((c) => !e.missingClasses.includes(c)).length);
      for (const c of present) tally(this.classMiss[c], e.missingClasses.includes(c) ? 1 : 0, 1);
      const s = e.systematic;
      if (s) {
        tally(this.kindPart, s.kindParts.length, e.objectClasses.filter((c) => !e.missingClasses.includes(c)).length);
        tally(this.contactPart, s.contactParts.length, s.contacts.length);
        tally(this.context, s.salientCompanions.length, s.companions.length);
        tally(this.distractor, s.salientDistractors, s.distractors);
      }
    }
    if (sample.mask) this.saliency.add(sample.saliency, sample.mask, e?.pixels);
    return this;
  }

  /** The summary as text lines: class frequencies, error rates (asked vs. realised), saliency quality. */
  format(classes: string[], options?: ResolvedSyntheticOptions): string[] {
    const total = this.images.train + this.images.val;
    const width = Math.max(...classes.map((c) => c.length));
    const lines = ['class frequency (share of images containing the class):'];
    classes.forEach((name, i) => lines.push(`  ${name.padEnd(width)}  train ${percent(this.classImages.train[i + 1], this.images.train).padStart(6)}  val ${percent(this.classImages.val[i + 1], this.images.val).padStart(6)}`));
    const rate = (label: string, asked: number, c: Count, of: string) => `  ${label.padEnd(26)} ${asked.toFixed(2)} -> ${percent(c.hits, c.chances).padStart(6)} of ${c.chances} ${of}`;
    if (options?.errors === 'systematic') {
      lines.push(`injected saliency errors, systematic model (rate asked -> measured), ${this.objects} objects in ${total} images:`);
      classes.forEach((name, i) => lines.push(rate(`missing class ${name}`, options.classMiss[i], this.classMiss[i + 1], `images with a ${name}`)));
      lines.push(rate('missing part (shape part)', options.partMiss, this.kindPart, 'objects of salient classes'));
      lines.push(rate('missing part (contact)', options.contactMiss, this.contactPart, 'objects touching the border or another object'));
      lines.push(rate('context salient', options.contextSalient, this.context, 'visible companions (water, rails)'));
      lines.push(rate('false coverage', options.distractorSalient, this.distractor, 'visible distractors'));
    } else if (options) {
      lines.push(`injected saliency errors, random model (rate asked -> measured), ${this.objects} objects in ${total} images:`);
      lines.push(rate('missing class', options.missingClass, this.missingClass, 'images'));
      lines.push(rate('missing part', options.missingObject, this.partial, 'objects (those of a missing class excluded)'));
      lines.push(rate('false coverage', options.falseCoverage, this.falseCoverage, 'images'));
    }
    const s = this.saliency.summary();
    lines.push(`saliency vs. true foreground (S > 0.5): precision ${s.precision.toFixed(3)}, recall ${s.recall.toFixed(3)}`);
    if (options) {
      lines.push(`  share of pixels per error: missing class ${percent(s.missingClassShare, 1)}, missing part ${percent(s.missingPartShare, 1)}, false coverage ${percent(s.falseCoverageShare, 1)}, context ${percent(s.contextShare, 1)}`);
    }
    return lines;
  }
}
