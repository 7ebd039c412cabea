export { renderHtml } from './html.js';
export { renderMarkdown } from './markdown.js';
export { lineChart } from './svg.js';
export type { ReportInput, MiouTable, MiouRow, Curve, Panel, PanelTile } from './types.js';
