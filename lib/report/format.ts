/** Number formatting shared by the HTML and Markdown reports. */
import type { MiouTable } from './types.js';

export const pct = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : (100 * v).toFixed(1));
export const ratio = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(3));

/** Header and body cells of a mIoU table: one column per label, then mIoU and the ratio. */
export function tableCells(table: MiouTable, classes: string[]): { head: string[]; body: string[][] } {
  const labels = ['background', ...classes];
  const hasRatio = table.rows.some((r) => r.ratio !== undefined);
  const head = ['', ...labels, 'mIoU', ...(hasRatio ? ['ratio to full'] : [])];
  const pm = (v: string, std: number | undefined, f: (x: number) => string) => (std === undefined ? v : `${v} ± ${f(std)}`);
  const body = table.rows.map((r) => [r.name, ...labels.map((_, i) => pct(r.perClass[i])), pm(pct(r.mIoU), r.mIoUStd, pct), ...(hasRatio ? [pm(ratio(r.ratio), r.ratioStd, ratio)] : [])]);
  return { head, body };
}
