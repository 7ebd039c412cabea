/** mIoU results for people (an aligned table) and for files (a JSON object keyed by class name). */
import type { MiouResult } from '../lib/evaluate.js';

const NAME_BACKGROUND = 'background';

/** Per-class IoU rows, then mIoU and pixel accuracy; '-' for a class in neither truth nor prediction. */
export function formatIouTable(classes: readonly string[], r: MiouResult): string {
  const names = [NAME_BACKGROUND, ...classes];
  const width = Math.max(14, ...names.map((n) => n.length));
  const cell = (v: number) => (Number.isNaN(v) ? '    -' : v.toFixed(3));
  const rows = names.map((n, c) => `  ${n.padEnd(width)}  ${cell(r.perClass[c] ?? NaN)}`);
  return [
    `  ${'class'.padEnd(width)}  IoU`,
    ...rows,
    `  ${'mIoU'.padEnd(width)}  ${cell(r.mIoU)}`,
    `  ${'pixel accuracy'.padEnd(width)}  ${cell(r.pixelAccuracy)}`,
    `  (${r.images} image${r.images === 1 ? '' : 's'})`,
  ].join('\n');
}

/** JSON-ready metrics; classes absent from truth and prediction get null (not NaN). */
export function iouRecord(classes: readonly string[], r: MiouResult): Record<string, unknown> {
  const num = (v: number) => (Number.isNaN(v) ? null : v);
  const perClass: Record<string, number | null> = {};
  [NAME_BACKGROUND, ...classes].forEach((n, c) => (perClass[n] = num(r.perClass[c] ?? NaN)));
  return { mIoU: num(r.mIoU), pixelAccuracy: num(r.pixelAccuracy), images: r.images, perClass };
}
