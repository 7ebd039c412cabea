/** Inline SVG line charts (no dependencies, so report.html stays self-contained). */
import type { Curve } from './types.js';

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function escape(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function niceNumber(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2);
}

export function lineChart(curve: Curve, width = 460, height = 240): string {
  const pad = { l: 52, r: 12, t: 24, b: 36 };
  const pts = curve.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (pts.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="40"><text x="8" y="24">${escape(curve.title)}: no data</text></svg>`;
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 < 1e-12) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const sx = (x: number) => pad.l + ((x - x0) / Math.max(1e-12, x1 - x0)) * (width - pad.l - pad.r);
  const sy = (y: number) => height - pad.b - ((y - y0) / (y1 - y0)) * (height - pad.t - pad.b);
  const lines = curve.series
    .map((s, i) => {
      const d = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).map(([x, y], k) => `${k ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
      const c = COLOURS[i % COLOURS.length];
      return `<path d="${d}" fill="none" stroke="${c}" stroke-width="1.5"/><text x="${width - pad.r - 4}" y="${pad.t + 14 * (i + 1)}" text-anchor="end" fill="${c}" font-size="11">${escape(s.name)}</text>`;
    })
    .join('');
  const markers = (curve.markers ?? [])
    .filter((m) => m.x >= x0 && m.x <= x1)
    .map((m) => {
      const x = sx(m.x).toFixed(1);
      return `<line x1="${x}" y1="${pad.t}" x2="${x}" y2="${height - pad.b}" stroke="#555" stroke-dasharray="4 3"><title>${escape(m.label)}</title></line><text x="${Number(x) + 3}" y="${pad.t + 10}" font-size="10" fill="#555">${escape(m.label)}</text>`;
    })
    .join('');
  const axes =
    `<line x1="${pad.l}" y1="${height - pad.b}" x2="${width - pad.r}" y2="${height - pad.b}" stroke="#444"/>` +
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${height - pad.b}" stroke="#444"/>` +
    `<text x="${pad.l - 4}" y="${sy(y1) + 4}" text-anchor="end" font-size="10">${niceNumber(y1)}</text>` +
    `<text x="${pad.l - 4}" y="${sy(y0)}" text-anchor="end" font-size="10">${niceNumber(y0)}</text>` +
    `<text x="${pad.l}" y="${height - pad.b + 14}" font-size="10">${niceNumber(x0)}</text>` +
    `<text x="${width - pad.r}" y="${height - pad.b + 14}" text-anchor="end" font-size="10">${niceNumber(x1)}</text>` +
    `<text x="${(pad.l + width - pad.r) / 2}" y="${height - 6}" text-anchor="middle" font-size="11">${escape(curve.xLabel)}</text>` +
    `<text x="${pad.l}" y="14" font-size="12" font-weight="bold">${escape(curve.title)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${escape(curve.title)}">${axes}${markers}${lines}</svg>`;
}

export { escape as escapeHtml };
