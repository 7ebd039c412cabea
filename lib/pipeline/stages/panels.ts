/** The panel stage of `epsx run`: the images of the report, in the layout of `epsx inspect`. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../atomic.js';
import type { Sample } from '../../data/sample.js';
import { predictMasks } from '../../evaluate.js';
import { inspectSample } from '../../inspect.js';
import type { Method } from '../../train/classifier.js';
import { composePanel, maskTile } from '../../viz/tiles.js';
import type { Classifier } from '../../../models/classifier.js';
import { loadSegmenter } from '../../../models/load.js';
import type { Panel } from '../../report/types.js';
import type { RunContext } from '../context.js';

/** Panels in the layout of `epsx inspect` for the first images of each split (+ segmenter output on val). */
export function panelStage(ctx: RunContext, method: Method, classifier: Classifier, segmenterPath: string | null): Panel[] {
  const seg = segmenterPath && existsSync(segmenterPath) ? loadSegmenter(segmenterPath) : null;
  const picks: Array<[string, Sample]> = [
    ...ctx.train.slice(0, ctx.config.panels).map((s): [string, Sample] => ['train', s]),
    ...ctx.val.slice(0, ctx.config.panels).map((s): [string, Sample] => ['val', s]),
  ];
  return picks.map(([split, sample]) => {
    const ins = inspectSample(classifier, sample, ctx.classes, {
      method,
      pamrDilations: ctx.config.classifier.pamrDilations,
      pamrIterations: ctx.config.classifier.pamrIterations,
      pseudo: { ...ctx.config.pseudo },
    });
    const tiles = [...ins.tiles];
    if (seg && split === 'val') {
      const mask = predictMasks(seg, [sample]).get(sample.id)!;
      tiles.push({ label: 'segmenter', tile: maskTile(mask, sample.height, sample.width) });
    }
    const base = `${split}-${sample.id}`;
    const rel = tiles.map((t, k) => {
      const file = join('viz', `${base}-${k}.png`);
      writeFileAtomic(ctx.dir.path(file), t.tile.toPng());
      return { label: t.label, png: file };
    });
    const classNames = sample.labels.map((c) => ctx.classes[c - 1]).join(', ');
    writeFileAtomic(ctx.dir.path('viz', `${base}.png`), composePanel(tiles, { title: `${split} ${sample.id}: ${classNames}` }).toPng());
    return { id: sample.id, split, caption: `${classNames}; IRD drops ${(100 * ins.dropped).toFixed(1)}% of map pixels`, tiles: rel };
  });
}
