/**
 * A trained classifier or segmenter as PyTorch consumes it: model.safetensors (the weights
 * under epsx's names, which are also the PyTorch twin's names) and model.py (the twin).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors, readCheckpoint } from '../checkpoint.js';
import { UserError } from '../core/errors.js';
import type { Classifier } from '../../models/classifier.js';
import { loadClassifier, loadSegmenter } from '../../models/load.js';
import type { Segmenter } from '../../models/segmenter.js';
import { describeModule, torchStateNames, type ArchNode } from './arch.js';
import { pytorchModuleSource } from './pytorch-module.js';

/** File names inside the export folder. */
export const MODEL_FILES = { weights: 'model.safetensors', module: 'model.py' } as const;

/** What was exported. */
export interface ModelExportSummary {
  kind: 'classifier' | 'segmenter';
  tensors: number;
  parameters: number;
  arch: ArchNode;
}

/** Class names recorded by the pipeline in the checkpoint, else `fallback`, else class1..classC. */
function classNames(metadata: Record<string, string>, numClasses: number, fallback?: readonly string[]): string[] {
  try {
    const stored: unknown = JSON.parse(metadata.classes ?? 'null');
    if (Array.isArray(stored) && stored.length === numClasses && stored.every((c) => typeof c === 'string')) return stored as string[];
  } catch {}
  if (fallback && fallback.length === numClasses) return [...fallback];
  return Array.from({ length: numClasses }, (_, i) => `class${i + 1}`);
}

/**
 * Load the checkpoint at `ckpt` (a classifier or a segmenter; anything else is a one-line
 * UserError naming the file) and write model.safetensors + model.py into `out`.
 * The weights file keeps the checkpoint's metadata (so epsx still loads it) and adds the
 * architecture under "arch".
 */
export function exportModel(ckpt: string, out: string, classes?: readonly string[]): ModelExportSummary {
  const { config, metadata } = readCheckpoint(ckpt);
  let model: Classifier | Segmenter;
  if (config.kind === 'classifier') model = loadClassifier(ckpt);
  else if (config.kind === 'segmenter') model = loadSegmenter(ckpt);
  else throw new UserError(`checkpoint ${ckpt}: holds a ${JSON.stringify(config.kind)} model; export takes a classifier or a segmenter checkpoint`);

  const arch = describeModule(model);
  const state = model.stateDict();
  // The twin registers exactly these names; a mismatch means a module keeps state the
  // description does not know about, and the export would not load with strict=True.
  const expected = torchStateNames(arch).sort().join(',');
  if (expected !== [...state.keys()].sort().join(',')) throw new Error(`export: the PyTorch twin of this ${config.kind} would not have the same state names as the epsx model`);

  const names = classNames(metadata, model.config.numClasses, classes);
  const extra = { ...metadata, classes: JSON.stringify(names), arch: JSON.stringify(arch) };
  writeFileSync(join(out, MODEL_FILES.weights), encodeSafetensors(state, { ...extra, config: JSON.stringify(model.config) }));
  writeFileSync(join(out, MODEL_FILES.module), pytorchModuleSource(config.kind, arch, model.config, names));
  return { kind: config.kind, tensors: state.size, parameters: model.numParameters(), arch };
}
