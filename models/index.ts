export { Backbone } from './backbone.js';
export { Classifier, classifierConfig } from './classifier.js';
export type { ClassifierConfig, ClassifierOutput } from './classifier.js';
export { Segmenter, ContextHead, segmenterConfig } from './segmenter.js';
export type { SegmenterConfig } from './segmenter.js';
export type { BackboneConfig, CommonConfig } from './config.js';
export { loadClassifier, loadSegmenter } from './load.js';
