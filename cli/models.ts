/**
 * Checkpoints named by --ckpt. models/load.ts refuses a checkpoint of the wrong kind or a
 * broken file; here the model must also fit the dataset it is used with.
 */
import { readCheckpoint } from '../lib/checkpoint.js';
import { UserError } from '../lib/core/errors.js';
import { METHODS, type Method } from '../lib/train/classifier.js';
import { loadClassifier, loadSegmenter, type Classifier, type Segmenter } from '../models/index.js';
import type { OpenedData } from './dataset.js';

function checkClasses(path: string, model: Classifier | Segmenter, data: OpenedData): void {
  const have = model.config.numClasses, want = data.dataset.classes.length;
  if (have !== want) throw new UserError(`checkpoint ${path}: the ${model.config.kind} has ${have} classes but ${data.name} has ${want}`);
}

/** A trained classifier and the method it was trained with (recorded by train-cls; eps++ otherwise). */
export function openClassifier(path: string, data: OpenedData): { model: Classifier; method: Method } {
  const model = loadClassifier(path);
  checkClasses(path, model, data);
  const recorded = readCheckpoint(path, 'classifier').metadata.method;
  const method = (METHODS as readonly string[]).includes(recorded ?? '') ? (recorded as Method) : 'eps++';
  return { model, method };
}

/** A trained segmenter; with `data`, its classes must match the dataset's. */
export function openSegmenter(path: string, data?: OpenedData): Segmenter {
  const model = loadSegmenter(path);
  if (data) checkClasses(path, model, data);
  return model;
}
