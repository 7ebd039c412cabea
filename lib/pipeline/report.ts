/** Assemble report.html, report.md and metrics.json from the ledger and the log. */
import { writeFileAtomic } from '../atomic.js';
import type { MiouResult } from '../evaluate.js';
import { renderHtml } from '../report/html.js';
import { renderMarkdown } from '../report/markdown.js';
import { pct } from '../report/format.js';
import type { DropSummary } from '../metrics.js';
import type { Curve, MiouRow, Panel, ReportInput, TextTable } from '../report/types.js';
import type { StepRecord } from '../train/trainer.js';
import { resolveSyntheticOptions } from '../data/synthetic.js';
import type { RunContext } from './context.js';
import { labelsOnlyNote } from './context.js';

/** The figures of a finished run, as written to metrics.json (docs/formats.md#run-folder). */
export interface RunMetrics {
  pseudo: Record<string, MiouResult>;
  segmenter: Record<string, MiouResult & { ratioToFull?: number }>;
  /** Per classifier method (slug): what the IRD drops with its maps against the injected errors (synthetic data). */
  ird: Record<string, DropSummary>;
  timings: Record<string, number>;
  /** The run's time: the stage times, with the time of stages that ran side by side counted once. */
  seconds: number;
}

/** The method name of a slug: epspp -> eps++. */
export const methodName = (key: string): string => key.replace('pp', '++');

/**
 * IRD's N against the injected errors, one row per classifier: share dropped, precision and recall,
 * and per error type the share of its pixels dropped ('none': correct supervision lost).
 */
export function irdMatchTable(ird: Record<string, DropSummary>, fmt: (key: string, get: (d: DropSummary) => number) => string): TextTable | null {
  const first = Object.values(ird)[0];
  if (!first) return null;
  const types = first.perType.map((t) => t.type);
  return {
    title: "What IRD drops: N against the injected saliency errors (train split, %)",
    note: 'N computed with each trained classifier (eval mode) at the map resolution, compared per image pixel. Precision: share of dropped pixels that carry an injected error; recall: share of error pixels dropped; per type: share of that type\'s pixels dropped ("none" = correct saliency lost).',
    head: ['classifier', 'dropped', 'precision', 'recall', ...types.map((t) => (t === 'none' ? 'correct pixels dropped' : `${t} dropped`))],
    body: Object.keys(ird).map((k) => [
      methodName(k),
      fmt(k, (d) => d.dropped),
      fmt(k, (d) => d.precision),
      fmt(k, (d) => d.recall),
      ...types.map((_, i) => fmt(k, (d) => d.perType[i]!.droppedShare)),
    ]),
  };
}

function row(name: string, r: MiouResult, full?: MiouResult): MiouRow {
  return { name, perClass: r.perClass, mIoU: r.mIoU, ...(full ? { ratio: r.mIoU / full.mIoU } : {}) };
}

/** Thin a series to at most n points by averaging consecutive windows (curves stay readable). */
function smooth(points: Array<[number, number]>, n = 200): Array<[number, number]> {
  const k = Math.max(1, Math.ceil(points.length / n));
  const out: Array<[number, number]> = [];
  for (let i = 0; i < points.length; i += k) {
    const w = points.slice(i, i + k);
    out.push([w[w.length - 1]![0], w.reduce((s, p) => s + p[1], 0) / w.length]);
  }
  return out;
}

function series(records: StepRecord[], key: string): Array<[number, number]> {
  return smooth(records.filter((r) => typeof r[key] === 'number').map((r) => [r.step + 1, r[key] as number]));
}

function curves(records: StepRecord[]): Curve[] {
  const stages = [...new Set(records.map((r) => r.stage))];
  const out: Curve[] = [];
  for (const stage of stages) {
    const rs = records.filter((r) => r.stage === stage);
    const terms = ['loss_cls', 'loss_sal', 'loss_ce'].filter((k) => rs.some((r) => typeof r[k] === 'number'));
    const keys = terms.length > 1 ? ['loss', ...terms] : terms; // the total only when it has parts
    // The IRD switch (the warm-up's end) as a dashed line on the stage's charts.
    const markers = rs.filter((r) => typeof r.event === 'string').map((r) => ({ x: r.step + 1, label: 'IRD on' }));
    out.push({ title: `${stage}: loss`, xLabel: 'step', series: keys.map((k) => ({ name: k, points: series(rs, k) })), markers });
    // Left out of the saliency loss: by the eps-cam warm-up (CAM and saliency disagree), then by IRD (N).
    const dropped = ['warmup_dropped', 'ird_dropped'].filter((k) => rs.some((r) => typeof r[k] === 'number'));
    if (dropped.length > 0) {
      out.push({ title: `${stage}: share of pixels left out of the saliency loss`, xLabel: 'step', series: dropped.map((k) => ({ name: k, points: series(rs, k) })), markers });
    }
  }
  return out;
}

export function collectMetrics(ctx: RunContext): RunMetrics {
  const done = ctx.ledger.done as Record<string, { score?: MiouResult; val?: MiouResult }>;
  const pseudo: RunMetrics['pseudo'] = {};
  const segmenter: RunMetrics['segmenter'] = {};
  const ird: RunMetrics['ird'] = {};
  for (const [key, v] of Object.entries(done)) {
    if (key.startsWith('pseudo-') && v.score) pseudo[key.slice('pseudo-'.length)] = v.score;
    if (key.startsWith('segmenter-') && v.val) segmenter[key.slice('segmenter-'.length)] = v.val;
    if (key.startsWith('ird-match-') && v) ird[key.slice('ird-match-'.length)] = v as unknown as DropSummary;
  }
  const full = segmenter.full;
  for (const [k, v] of Object.entries(segmenter)) if (full && k !== 'full') v.ratioToFull = v.mIoU / full.mIoU;
  const seconds = Object.values(ctx.ledger.timings).reduce((a, b) => a + b, 0) - (ctx.ledger.overlap ?? 0);
  return { pseudo, segmenter, ird, timings: ctx.ledger.timings, seconds };
}

export function writeReport(ctx: RunContext, metrics: RunMetrics, panels: Panel[], records: StepRecord[]): void {
  const generator = resolveSyntheticOptions(ctx.config.synthetic);
  const full = metrics.segmenter.full;
  const segNames: Record<string, string> = { full: 'fully supervised (T)', wsss: `WSSS from ${ctx.config.method} pseudo-masks`, ssss: `SSSS, ${ctx.config.labeledFraction} labelled` };
  const input: ReportInput = {
    name: ctx.config.name,
    config: ctx.config as unknown as Record<string, unknown>,
    classes: ctx.classes,
    timings: [
      ...Object.entries(metrics.timings).map(([stage, seconds]) => ({ stage, seconds })),
      { stage: ctx.ledger.overlap ? 'whole run (stages side by side counted once)' : 'whole run', seconds: metrics.seconds },
    ],
    tables: [
      { title: 'Pseudo-masks on the train split', rows: Object.entries(metrics.pseudo).map(([k, v]) => row(methodName(k).replace('-pamr', ' + PAMR'), v)) },
      { title: 'Segmenter on the val split', rows: Object.entries(metrics.segmenter).map(([k, v]) => row(segNames[k] ?? k, v, k === 'full' ? undefined : full)) },
    ],
    textTables: [irdMatchTable(metrics.ird, (k, get) => pct(get(metrics.ird[k]!)))].filter((t) => t !== null),
    curves: curves(records),
    panels,
    notes: [
      `data: ${ctx.config.data ?? `synthetic (${ctx.train.length} train, ${ctx.val.length} val; ${generator.errors} saliency errors, appearance ${generator.appearance})`}`,
      `classes: ${ctx.classes.join(', ')}`,
      ...(labelsOnlyNote(ctx) ? [labelsOnlyNote(ctx)] : []),
      ...records.filter((r) => typeof r.event === 'string').map((r) => `${r.stage}, step ${r.step + 1}: ${r.event}`),
    ],
  };
  writeFileAtomic(ctx.dir.path('report.html'), renderHtml(input, ctx.dir.root));
  writeFileAtomic(ctx.dir.path('report.md'), renderMarkdown(input));
}
