/**
 * What MB+ (`epsx saliency`) gets right and wrong on the synthetic set, with the generator's
 * own record of every scene: the scores `epsx saliency` prints, and where its false coverage
 * and its misses fall (distractors, companion context, objects touching the border).
 * Run: `node --import tsx bench/saliency-synthetic.ts [N]` (the first N train images of the
 * default set, 200 unless given; each image goes through 8 bits as when written to PNG).
 */
import { CLASS_SHAPES, chwToRgb, resolveSyntheticOptions, rgbToChw } from '../lib/data/index.js';
import { generateScene } from '../lib/data/synthetic.js';
import { mbPlusSaliency } from '../lib/saliency/mbplus.js';
import { SaliencyQualityScore, formatSaliencyQuality } from '../lib/saliency/quality.js';

const count = Number(process.argv[2] ?? 200);
if (!Number.isInteger(count) || count < 1) throw new Error(`usage: bench/saliency-synthetic.ts [N]: N must be a positive integer, got ${process.argv[2]}`);
const options = resolveSyntheticOptions({});
const score = new SaliencyQualityScore();
const kinds = ['distractor', 'companion', 'plain background'] as const;
const marked = new Map<string, number>(), pixels = new Map<string, number>();
const tally = (kind: string, on: boolean) => { pixels.set(kind, (pixels.get(kind) ?? 0) + 1); if (on) marked.set(kind, (marked.get(kind) ?? 0) + 1); };

for (let i = 0; i < count; i++) {
  const { scene } = generateScene(options, 'train', i);
  const size = scene.size;
  const map = mbPlusSaliency(rgbToChw(chwToRgb(scene.image, size, size), size, size), size, size);
  score.add(map, scene.mask);
  const touching = new Set<number>();
  for (let p = 0; p < map.length; p++) {
    const x = p % size, y = (p - x) / size;
    if (scene.objectOwner[p] >= 0 && (x === 0 || y === 0 || x === size - 1 || y === size - 1)) touching.add(scene.objectOwner[p]);
  }
  for (let p = 0; p < map.length; p++) {
    const on = map[p] > 0.5;
    if (scene.mask[p] > 0) tally(touching.has(scene.objectOwner[p]) ? 'object touching the border' : 'object inside the image', on);
    else tally(scene.companionOwner[p] >= 0 ? 'companion' : scene.distractorOwner[p] >= 0 ? 'distractor' : 'plain background', on);
  }
}

const share = (n: number, d: number) => (d > 0 ? (n / d).toFixed(3) : '-');
console.log(`MB+ on the first ${count} train images of the default synthetic set (seed ${options.seed}):`);
for (const line of formatSaliencyQuality(score.summary(CLASS_SHAPES.slice(0, options.classes))!)) console.log(`  ${line}`);
const falseMarks = kinds.reduce((s, k) => s + (marked.get(k) ?? 0), 0);
console.log(`  background marked salient, by kind (share of that kind's pixels; share of all false marks):`);
for (const k of kinds) console.log(`    ${k.padEnd(17)} ${share(marked.get(k) ?? 0, pixels.get(k) ?? 0)}; ${share(marked.get(k) ?? 0, falseMarks)}`);
console.log(`  recall of objects touching the image border ${share(marked.get('object touching the border') ?? 0, pixels.get('object touching the border') ?? 0)}, of the others ${share(marked.get('object inside the image') ?? 0, pixels.get('object inside the image') ?? 0)}`);
