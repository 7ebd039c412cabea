/** The shared `--data` option: a VOC-style folder, or the built-in synthetic dataset when omitted. */
import type { Command } from 'cac';
import { openVocDataset, SPLITS, synthetic, type Dataset, type Sample, type Split } from '../lib/data/index.js';
import { UserError } from '../lib/errors.js';
import { choiceOption, stringOption } from './options.js';

export interface OpenedData {
  dataset: Dataset;
  /** What to call it in messages and metadata: the folder, or "synthetic". */
  name: string;
}

export function addDataOption(command: Command): Command {
  return command.option('--data <dir>', 'Dataset folder in the VOC layout (see epsx synth); omitted: the built-in synthetic dataset with its defaults');
}

export function addSplitOption(command: Command, fallback: Split): Command {
  return command.option('--split <name>', `Which split: ${SPLITS.join(' or ')} (default: ${fallback})`);
}

/** Open --data (checked up front: folder, split lists, labels), or the synthetic default. */
export function openData(raw: unknown): OpenedData {
  const dir = stringOption('--data', raw);
  return dir === undefined ? { dataset: synthetic(), name: 'synthetic' } : { dataset: openVocDataset(dir), name: dir };
}

export function splitOption(raw: unknown, fallback: Split): Split {
  return choiceOption('--split', raw, SPLITS) ?? fallback;
}

/** Every sample of a split, in list order (each file is checked as it is read); never empty. */
export function loadSplit({ dataset, name }: OpenedData, split: Split): Sample[] {
  const ids = dataset.ids(split);
  if (ids.length === 0) throw new UserError(`${name}: the ${split} split has no images`);
  return ids.map((id) => dataset.load(id));
}
