/** The context every stage of `epsx run` works in, and building its data: loaded once per thread. */
import { DEFAULT_MAX_PIXELS } from '../data/size-limit.js';
import { openVocDataset } from '../data/voc-reader.js';
import { synthetic } from '../data/synthetic.js';
import type { Dataset, Sample } from '../data/sample.js';
import { UserError } from '../core/errors.js';
import type { ProgressReporter } from '../progress.js';
import type { ResolvedRunConfig, RunConfig } from './config.js';
import type { Ledger } from './ledger.js';
import type { StepSink } from './log.js';
import type { RunDir } from './run-dir.js';

/** What a stage is given: the run's config, folder, log and ledger, its data, progress and the stop poll. */
export interface RunContext {
  config: ResolvedRunConfig;
  dir: RunDir;
  log: StepSink;
  ledger: Ledger;
  classes: string[];
  train: Sample[];
  val: Sample[];
  progress: ProgressReporter;
  shouldStop: () => boolean;
  saveLedger: () => void;
  /** Run stages side by side where there are two cores (default true; lib/pipeline/side-by-side.ts). */
  sideBySide?: boolean;
}

export interface RunData {
  classes: string[];
  train: Sample[];
  val: Sample[];
}

function openData(config: RunConfig, notice?: (line: string) => void): Dataset {
  if (config.data === null) return synthetic({ ...config.synthetic, seed: config.synthetic.seed ?? config.seed });
  return openVocDataset(config.data, { maxPixels: config.maxPixels ?? DEFAULT_MAX_PIXELS, ...(notice && { notice }) });
}

/** Every train and val sample in memory (the synthetic set is regenerated from its seed); `notice` hears of downscaled images. */
export function loadRunData(config: RunConfig, notice?: (line: string) => void): RunData {
  const dataset = openData(config, notice);
  const train = dataset.ids('train').map((id) => dataset.load(id));
  const val = dataset.ids('val').map((id) => dataset.load(id));
  if (train.length === 0) throw new UserError(`${config.data ?? 'dataset'}: the train split is empty`);
  return { classes: dataset.classes, train, val };
}

/** What the scores leave out when some images have image-level labels only, or '' when all have masks. */
export function labelsOnlyNote({ train, val }: Pick<RunData, 'train' | 'val'>): string {
  const missing = (samples: Sample[]) => samples.filter((s) => !s.mask).length;
  const [t, v] = [missing(train), missing(val)];
  if (t + v === 0) return '';
  return `${t} of ${train.length} train and ${v} of ${val.length} val images have image-level labels only (no true mask): they train the classifier and get pseudo-masks; mIoU counts the images with true masks`;
}
