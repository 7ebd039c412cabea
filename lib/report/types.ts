/** What a run report shows. Built by the pipeline, rendered to HTML and Markdown. */
export interface MiouRow {
  name: string;
  /** IoU per label 0..C (NaN where the class appears in neither prediction nor truth). */
  perClass: number[];
  mIoU: number;
  /** mIoU / mIoU of the fully-supervised bound, when known. */
  ratio?: number;
  /** Over several seeds: the standard deviations of mIoU and ratio (the other fields are then means). */
  mIoUStd?: number;
  ratioStd?: number;
}

/** A table of preformatted cells (first column left-aligned). */
export interface TextTable {
  title: string;
  head: string[];
  body: string[][];
  /** One line under the title saying how to read the table. */
  note?: string;
}

export interface MiouTable {
  title: string;
  rows: MiouRow[];
}

export interface Curve {
  title: string;
  xLabel: string;
  series: Array<{ name: string; points: Array<[number, number]> }>;
  /** Vertical lines at x with a short label (e.g. where the IRD switches on). */
  markers?: Array<{ x: number; label: string }>;
}

export interface PanelTile {
  label: string;
  /** PNG path relative to the run folder. */
  png: string;
}

export interface Panel {
  id: string;
  split: string;
  caption?: string;
  tiles: PanelTile[];
}

export interface ReportInput {
  name: string;
  config: Record<string, unknown>;
  classes: string[];
  timings: Array<{ stage: string; seconds: number }>;
  tables: MiouTable[];
  /** Further tables after the mIoU tables (e.g. what the IRD dropped). */
  textTables?: TextTable[];
  curves: Curve[];
  panels: Panel[];
  notes?: string[];
}
