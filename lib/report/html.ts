/** report.html: one self-contained page (images inlined as data URIs, charts as inline SVG). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableCells } from './format.js';
import { escapeHtml as esc, lineChart } from './svg.js';
import type { ReportInput } from './types.js';

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;color:#222;padding:0 16px}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
.charts{display:flex;flex-wrap:wrap;gap:16px}.panel{margin:14px 0}.tiles{display:flex;flex-wrap:wrap;gap:6px}
figure{margin:0;text-align:center;font-size:11px}figure img{width:96px;height:96px;image-rendering:pixelated;border:1px solid #bbb;display:block}
pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}`;

function table(head: string[], body: string[][]): string {
  const row = (cells: string[], tag: string) => `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join('')}</tr>`;
  return `<table><thead>${row(head, 'th')}</thead><tbody>${body.map((r) => row(r, 'td')).join('')}</tbody></table>`;
}

/** Render the report; PNG paths in panels are read from runDir and inlined. */
export function renderHtml(input: ReportInput, runDir: string): string {
  const dataUri = (rel: string) => `data:image/png;base64,${readFileSync(join(runDir, rel)).toString('base64')}`;
  const timings = table(['stage', 'seconds'], input.timings.map((t) => [t.stage, t.seconds.toFixed(1)]));
  const tables = input.tables
    .map((t) => {
      const { head, body } = tableCells(t, input.classes);
      return `<h3>${esc(t.title)}</h3>${table(head, body)}`;
    })
    .join('');
  const textTables = (input.textTables ?? []).map((t) => `<h3>${esc(t.title)}</h3>${t.note ? `<p>${esc(t.note)}</p>` : ''}${table(t.head, t.body)}`).join('');
  const charts = `<div class="charts">${input.curves.map((c) => lineChart(c)).join('')}</div>`;
  const panels = input.panels
    .map(
      (p) =>
        `<div class="panel" id="panel-${esc(p.id)}"><b>${esc(p.split)} / ${esc(p.id)}</b>${p.caption ? ` — ${esc(p.caption)}` : ''}<div class="tiles">` +
        p.tiles.map((t) => `<figure><img src="${dataUri(t.png)}" alt="${esc(`${p.id} ${t.label}`)}" data-src="${esc(t.png)}"><figcaption>${esc(t.label)}</figcaption></figure>`).join('') +
        `</div></div>`,
    )
    .join('');
  const notes = (input.notes ?? []).map((n) => `<li>${esc(n)}</li>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>epsx run ${esc(input.name)}</title><style>${STYLE}</style></head><body>
<h1>epsx run: ${esc(input.name)}</h1>
${notes ? `<ul>${notes}</ul>` : ''}
<h2>Results (mIoU, %)</h2>${tables}${textTables}
${input.curves.length ? `<h2>Training</h2>${charts}` : ''}
${input.panels.length ? `<h2>Panels</h2><p>image | saliency | localization maps of present classes | M<sub>fg</sub> | PAMR-refined M<sub>r</sub> | inconsistent region N | pseudo-mask | ground truth</p>${panels}` : ''}
<h2>Timings</h2>${timings}
<h2>Configuration</h2><pre>${esc(JSON.stringify(input.config, null, 2))}</pre>
</body></html>
`;
}
