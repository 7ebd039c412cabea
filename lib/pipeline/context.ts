/** Building a stage context: the data of a run, loaded once per thread. */
import { openVocDataset } from '../data/voc-reader.js';
import { synthetic } from '../data/synthetic.js';
import type { Dataset, Sample } from '../data/sample.js';
import { UserError } from '../errors.js';
import type { RunConfig } from './config.js';

export interface RunData {
  classes: string[];
  train: Sample[];
  val: Sample[];
}

function openData(config: RunConfig): Dataset {
  return config.data === null ? synthetic({ ...config.synthetic, seed: config.synthetic.seed ?? config.seed }) : openVocDataset(config.data);
}

/** Every train and val sample in memory (the synthetic set is regenerated from its seed). */
export function loadRunData(config: RunConfig): RunData {
  const dataset = openData(config);
  const train = dataset.ids('train').map((id) => dataset.load(id));
  const val = dataset.ids('val').map((id) => dataset.load(id));
  if (train.length === 0) throw new UserError(`${config.data ?? 'dataset'}: the train split is empty`);
  return { classes: dataset.classes, train, val };
}
