/** Build a model from a checkpoint's stored config, then load its weights. */
import { loadCheckpoint, readCheckpoint } from '../lib/checkpoint.js';
import { Classifier, classifierConfig, type ClassifierConfig } from './classifier.js';
import { Segmenter, segmenterConfig, type SegmenterConfig } from './segmenter.js';

// Stored configs are untrusted JSON; the *Config functions check every field at run time.
type Stored<T> = Partial<T> & { numClasses: number };

/** Rebuild a Classifier from a checkpoint's stored config and load its weights; throws a UserError naming the file when it is unreadable, of another kind or does not match. */
export function loadClassifier(path: string): Classifier {
  const { config } = readCheckpoint(path, 'classifier');
  const model = new Classifier(classifierConfig(config as Stored<ClassifierConfig>, `checkpoint ${path}: config`));
  loadCheckpoint(path, model);
  return model;
}

/** Rebuild a Segmenter from a checkpoint's stored config and load its weights; throws a UserError naming the file when it is unreadable, of another kind or does not match. */
export function loadSegmenter(path: string): Segmenter {
  const { config } = readCheckpoint(path, 'segmenter');
  const model = new Segmenter(segmenterConfig(config as Stored<SegmenterConfig>, `checkpoint ${path}: config`));
  loadCheckpoint(path, model);
  return model;
}
