/**
 * Datasets for epsx: the in-memory sample format, the synthetic generator with injected
 * saliency errors, the VOC-style folder reader and writer, image codecs, augmentation and
 * batching. Each name is documented where it is defined; this file only gathers them.
 */

/** Samples and datasets: the flat in-memory format every reader and generator produces. */
export { IGNORE_LABEL, SALIENCY_ERROR_NAMES, SPLITS, SaliencyErrorType, labelsOfMask } from './sample.js';
export type { Dataset, InjectedErrors, Sample, Split, SystematicErrorEvents } from './sample.js';

/** Seed mixing for per-image random streams (the generator itself is lib/core/random.ts's Rng). */
export { mixSeed } from './sampling.js';

/** The synthetic dataset: shape classes, distractors, saliency maps with injected errors. */
export { APPEARANCES, CLASS_MISS_DEFAULT, SALIENCY_ERROR_MODELS, SYNTHETIC_LIMITS, generateSample, resolveSyntheticOptions, synthetic, syntheticId } from './synthetic.js';
export type { NumericSyntheticOption, ResolvedSyntheticOptions, SyntheticDataset, SyntheticOptions } from './synthetic.js';
export type { Appearance } from './synthetic-scene.js';
export type { RandomErrorRates, SaliencyErrorSettings, SystematicErrorRates } from './synthetic-saliency.js';
export { CLASS_SHAPES } from './shapes.js';
export { SyntheticStats } from './synthetic-stats.js';

/** VOC-style dataset folders (docs/formats.md#dataset-folder). */
export { openVocDataset } from './voc-reader.js';
export type { VocOptions } from './voc-reader.js';
export { writeVocDataset } from './voc-writer.js';
export type { WriteVocOptions } from './voc-writer.js';
export { VOC_LAYOUT } from './voc-layout.js';
export { formatLabelsFile, parseLabelsFile } from './labels-file.js';
export type { LabelsFile } from './labels-file.js';

/** Image codecs and pixel-layout conversions. */
export { decodePngGrey, decodePngLabels, decodePngRgb, encodePngGrey, encodePngRgb } from './png.js';
export { encodePalettePng } from './png-palette.js';
export { readPngHeader } from './png-chunks.js';
export type { PngHeader } from './png-chunks.js';
export { decodeJpegRgb, readJpegHeader } from './jpeg.js';
export { chwToRgb, greyToUnit, rgbToChw, unitToGrey } from './raster.js';
export type { Raster } from './raster.js';
export { VOC_PALETTE } from './palette.js';
export { DEFAULT_MAX_PIXELS, MAX_IMAGE_PIXELS, fitSample, sizeWithin } from './size-limit.js';

/** Training-time augmentation and batching. */
export { augment, jitterColor } from './augment.js';
export type { AugmentOptions } from './augment.js';
export { makeBatch } from './batch.js';
export type { Batch } from './batch.js';
