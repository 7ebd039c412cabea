export { Optimizer } from './optimizer.js';
export type { OptimizerOptions } from './optimizer.js';
export { SGD } from './sgd.js';
export type { SGDOptions } from './sgd.js';
export { AdamW } from './adamw.js';
export type { AdamWOptions } from './adamw.js';
export { polyLr, trainLr, warmupSteps } from './schedule.js';
