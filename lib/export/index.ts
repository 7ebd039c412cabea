/** `epsx export`: pseudo-masks in the VOC SegmentationClassAug layout, models as safetensors + a PyTorch twin. */
export { describeModule, torchStateNames, COMPOSITE_TYPES } from './arch.js';
export type { ArchNode, CompositeType } from './arch.js';
export { pytorchModuleSource } from './pytorch-module.js';
export { exportModel, MODEL_FILES } from './model.js';
export type { ModelExportSummary } from './model.js';
export { exportMasks, ExportInterrupted, AUG_LAYOUT } from './masks.js';
export type { MaskExportOptions, MaskExportSummary } from './masks.js';
export { checkNewFolder, writeFolderAtomic } from '../atomic-folder.js';
