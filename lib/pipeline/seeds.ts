/**
 * `epsx run --seeds 0,1,2`: the same run once per training seed (each a complete run folder
 * `seed-<s>/` with its own report), then the mean and spread of every figure in the parent
 * folder's metrics.json, report.html and report.md. The data stays the same (its seed is
 * `synthetic.seed`); the seed changes weight initialisation, batch order and augmentation.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { UserError } from '../core/errors.js';
import { renderHtml } from '../report/html.js';
import { renderMarkdown } from '../report/markdown.js';
import { pct, ratio as fmtRatio } from '../report/format.js';
import type { MiouRow, ReportInput } from '../report/types.js';
import type { RunConfig } from './config.js';
import { irdMatchTable, methodName, type RunMetrics } from './report.js';
import { RunDir } from './run-dir.js';
import { runPipeline, type RunHooks } from './run.js';

/** Any JSON value with every number replaced by its statistic over the runs (strings kept). */
type Stat = number | string | Stat[] | { [k: string]: Stat };

/**
 * Mean and sample standard deviation (n - 1; 0 for one run) of each number at the same place in
 * every value. Non-finite numbers (an IoU of a class absent everywhere) are left out; a place
 * with no finite number gets NaN. Places missing from some values are averaged over the others.
 * A string (a label such as an error type's name) is kept as it is in the first value.
 */
export function meanAndSpread(values: readonly unknown[]): { mean: Stat; std: Stat } {
  const text = values.find((v): v is string => typeof v === 'string');
  if (text !== undefined) return { mean: text, std: text };
  const nums = values.filter((v): v is number => typeof v === 'number');
  if (nums.length > 0) {
    const finite = nums.filter(Number.isFinite);
    const m = finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
    const sd = finite.length > 1 ? Math.sqrt(finite.reduce((a, b) => a + (b - m) ** 2, 0) / (finite.length - 1)) : finite.length ? 0 : NaN;
    return { mean: m, std: sd };
  }
  // JSON writes NaN as null: such a place holds numbers in other runs or nothing at all.
  if (values.every((v) => v === null)) return { mean: NaN, std: NaN };
  const arrays = values.filter(Array.isArray);
  if (arrays.length > 0) {
    const n = Math.max(...arrays.map((a) => a.length));
    const parts = Array.from({ length: n }, (_, i) => meanAndSpread(arrays.map((a) => a[i]).map((v) => (v === null ? NaN : v))));
    return { mean: parts.map((p) => p.mean), std: parts.map((p) => p.std) };
  }
  const objects = values.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null);
  const keys = [...new Set(objects.flatMap((o) => Object.keys(o)))];
  const mean: Record<string, Stat> = {};
  const std: Record<string, Stat> = {};
  for (const k of keys) {
    const r = meanAndSpread(objects.filter((o) => k in o).map((o) => (o[k] === null ? NaN : o[k])));
    mean[k] = r.mean;
    std[k] = r.std;
  }
  return { mean, std };
}

/** metrics.json of a multi-seed run. */
export interface SeedsMetrics {
  seeds: number[];
  /** RunMetrics-shaped: every figure's mean and sample standard deviation over the seeds. */
  mean: RunMetrics;
  std: RunMetrics;
  /** Each seed's own metrics (also in seed-<s>/metrics.json). */
  runs: Record<string, RunMetrics>;
}

/** The sub-run folder name of a seed. */
export const seedRunName = (seed: number): string => `seed-${seed}`;

/**
 * Run config once per seed under config.out/config.name/seed-<s>/, then aggregate. With
 * hooks.resume, finished seeds are read back, an interrupted one resumes, the rest start.
 */
export async function runSeeds(config: RunConfig, seeds: readonly number[], hooks: RunHooks = {}): Promise<{ dir: string; metrics: SeedsMetrics; backend: string }> {
  if (seeds.length === 0 || new Set(seeds).size !== seeds.length) throw new UserError(`--seeds: give distinct seeds, got ${seeds.join(',')}`);
  const root = join(config.out, config.name);
  const marker = join(root, 'seeds.json');
  if (hooks.resume && !existsSync(marker)) throw new UserError(`--resume: ${marker} does not exist (no multi-seed run to resume)`);
  if (!hooks.resume && existsSync(marker)) throw new UserError(`run folder ${root} already holds a multi-seed run: use --resume to continue it, or another --name`);
  const dir = RunDir.create(root);
  if (hooks.resume) config = dir.readJson<{ config: RunConfig }>('seeds.json')!.config;
  else dir.writeJson('seeds.json', { seeds, config });
  const runs: Record<string, RunMetrics> = {};
  let backend = '';
  let classes: string[] = [];
  for (const seed of seeds) {
    const name = seedRunName(seed);
    hooks.info?.(`seed ${seed}: ${join(root, name)}`);
    const resume = existsSync(join(root, name, 'state.json'));
    const outcome = await runPipeline({ ...config, seed, out: root, name }, { ...hooks, resume });
    runs[String(seed)] = outcome.metrics;
    ({ backend, classes } = outcome);
  }
  const { mean, std } = meanAndSpread(Object.values(runs)) as unknown as { mean: RunMetrics; std: RunMetrics };
  const metrics: SeedsMetrics = { seeds: [...seeds], mean, std, runs };
  dir.writeJson('metrics.json', metrics);
  const input = seedsReport(config, metrics, classes);
  writeFileAtomic(dir.path('report.html'), renderHtml(input, root));
  writeFileAtomic(dir.path('report.md'), renderMarkdown(input));
  return { dir: root, metrics, backend };
}

/** The parent report: every table as mean ± standard deviation over the seeds. */
function seedsReport(config: RunConfig, m: SeedsMetrics, classes: string[]): ReportInput {
  const row = (name: string, mean: { perClass: number[]; mIoU: number; ratioToFull?: number }, std: { mIoU: number; ratioToFull?: number }): MiouRow => ({
    name,
    perClass: mean.perClass,
    mIoU: mean.mIoU,
    mIoUStd: std.mIoU,
    ...(mean.ratioToFull !== undefined ? { ratio: mean.ratioToFull, ratioStd: std.ratioToFull } : {}),
  });
  const segNames: Record<string, string> = { full: 'fully supervised (T)', wsss: `WSSS from ${config.method} pseudo-masks`, ssss: `SSSS, ${config.labeledFraction} labelled` };
  const ird = irdMatchTable(m.mean.ird, (k, get) => `${pct(get(m.mean.ird[k]!))} ± ${pct(get(m.std.ird[k]!))}`);
  return {
    name: config.name,
    config: config as unknown as Record<string, unknown>,
    classes,
    timings: Object.entries(m.mean.timings).map(([stage, seconds]) => ({ stage: `${stage} (mean)`, seconds })),
    tables: [
      { title: `Pseudo-masks on the train split, mean ± std over ${m.seeds.length} seeds (per class: means)`, rows: Object.keys(m.mean.pseudo).map((k) => row(methodName(k).replace('-pamr', ' + PAMR'), m.mean.pseudo[k]!, m.std.pseudo[k]!)) },
      { title: `Segmenter on the val split, mean ± std over ${m.seeds.length} seeds (ratio: mean of each seed's ratio)`, rows: Object.keys(m.mean.segmenter).map((k) => row(segNames[k] ?? k, m.mean.segmenter[k]!, m.std.segmenter[k]!)) },
    ],
    textTables: [
      ...(ird ? [ird] : []),
      {
        title: 'Each seed',
        head: ['seed', ...Object.keys(m.mean.pseudo).map((k) => `pseudo ${methodName(k)}`), ...Object.keys(m.mean.segmenter).map((k) => `segmenter ${k}`), 'report'],
        body: m.seeds.map((s) => {
          const r = m.runs[String(s)]!;
          return [String(s), ...Object.keys(m.mean.pseudo).map((k) => pct(r.pseudo[k]?.mIoU)), ...Object.keys(m.mean.segmenter).map((k) => `${pct(r.segmenter[k]?.mIoU)}${r.segmenter[k]?.ratioToFull !== undefined ? ` (${fmtRatio(r.segmenter[k]!.ratioToFull)})` : ''}`), `${seedRunName(s)}/report.html`];
        }),
      },
    ],
    curves: [],
    panels: [],
    notes: [
      `seeds ${m.seeds.join(', ')}: training seed (weights, batch order, augmentation); the data is the same in every run`,
      'std: sample standard deviation over the seeds (n - 1)',
      `data: ${config.data ?? 'synthetic'}`,
      `classes: ${classes.join(', ')}`,
    ],
  };
}
