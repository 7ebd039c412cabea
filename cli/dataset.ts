/** The shared `--data` option: a VOC-style folder, or the built-in synthetic dataset when omitted. */
import type { Command } from 'cac';
import { openVocDataset, SPLITS, synthetic, type Dataset, type Sample, type Split } from '../lib/data/index.js';
import { DEFAULT_MAX_PIXELS, MAX_IMAGE_PIXELS } from '../lib/data/size-limit.js';
import { UserError } from '../lib/core/errors.js';
import { choiceOption, numberOption, stringOption } from './options.js';

export interface OpenedData {
  dataset: Dataset;
  /** What to call it in messages and metadata: the folder, or "synthetic". */
  name: string;
}

/** The --max-pixels option alone (for commands that read images without a dataset: predict). */
export function addMaxPixelsOption(command: Command): Command {
  return command.option('--max-pixels <n>', `Images with more pixels are downscaled to fit, with a one-line notice; masks are still written at the image's own size (default: ${DEFAULT_MAX_PIXELS})`);
}

export function addDataOption(command: Command): Command {
  command.option('--data <dir>', 'Dataset folder in the VOC layout, images of any size, JPEG or PNG (see epsx synth); omitted: the built-in synthetic dataset with its defaults');
  return addMaxPixelsOption(command);
}

export function addSplitOption(command: Command, fallback: Split): Command {
  return command.option('--split <name>', `Which split: ${SPLITS.join(' or ')} (default: ${fallback})`);
}

/** --max-pixels, checked (at most the decoder's own limit). */
export function maxPixelsOption(raw: unknown): number {
  return numberOption('--max-pixels', raw, { integer: true, min: 1, max: MAX_IMAGE_PIXELS }) ?? DEFAULT_MAX_PIXELS;
}

/** Print a notice line (a downscaled image) on stderr, beside progress. */
export const printNotice = (line: string): void => void process.stderr.write(`${line}\n`);

/** Open --data (checked up front: folder, split lists, labels), or the synthetic default. */
export function openData(raw: unknown, maxPixels: number = DEFAULT_MAX_PIXELS): OpenedData {
  const dir = stringOption('--data', raw);
  return dir === undefined ? { dataset: synthetic(), name: 'synthetic' } : { dataset: openVocDataset(dir, { maxPixels, notice: printNotice }), name: dir };
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

/** "N of M images have no true mask (skipped)" for the samples a score left out, or '' when none was. */
export function skippedNote(samples: readonly Sample[], what: string): string {
  const missing = samples.filter((s) => !s.mask).length;
  return missing === 0 ? '' : `${missing} of ${samples.length} ${what} images have no true mask (image-level labels only) and were not scored`;
}
