/** report.md: the same tables as report.html, with links to the panel PNGs. */
import { tableCells } from './format.js';
import type { ReportInput } from './types.js';

function mdTable(head: string[], body: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...body.map(line)].join('\n');
}

export function renderMarkdown(input: ReportInput): string {
  const parts = [`# epsx run: ${input.name}`, ...(input.notes ?? []).map((n) => `- ${n}`), '', '## Results (mIoU, %)'];
  for (const t of input.tables) {
    const { head, body } = tableCells(t, input.classes);
    parts.push('', `### ${t.title}`, '', mdTable(head, body));
  }
  for (const t of input.textTables ?? []) parts.push('', `### ${t.title}`, ...(t.note ? ['', t.note] : []), '', mdTable(t.head, t.body));
  parts.push('', '## Timings', '', mdTable(['stage', 'seconds'], input.timings.map((t) => [t.stage, t.seconds.toFixed(1)])));
  if (input.panels.length) parts.push('', '## Panels', '');
  for (const p of input.panels) parts.push(`- ${p.split} / ${p.id}: ${p.tiles.map((t) => `[${t.label}](${t.png})`).join(' · ')}`);
  parts.push('', '## Configuration', '', '```json', JSON.stringify(input.config, null, 2), '```', '');
  return parts.join('\n');
}
