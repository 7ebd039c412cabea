/**
 * epsx: EPS++ weakly and semi-supervised semantic segmentation on a small TypeScript
 * tensor engine. This is the package root: every stable public name is exported here.
 */
export { Tensor, tensor, zeros, ones, full, arange, rand, randn } from './core/tensor.js';
export type { Node, TensorOptions, RandomOptions } from './core/tensor.js';
// Chainable methods (x.mul(y).relu().mean()): importing the root installs them on Tensor.
export { tensorMethodNames } from './tensor-methods.js';
export type { TensorMethods } from './tensor-methods.js';
export { noGrad, detach, isGradEnabled, backward } from './core/autograd.js';
export { withPrecision, getPrecision } from './core/precision.js';
export type { DataArray, Precision } from './core/precision.js';
export { Rng, manualSeed } from './core/random.js';
export { ShapeError } from './core/shape.js';
export type { Shape } from './core/shape.js';
export { UserError } from './core/errors.js';
export type { Primitive, PrimitiveAttrs, Rule } from './core/primitives.js';

export {
  add, sub, mul, div, neg, exp, log, sqrt, abs, relu, sigmoid, pow, square, maximum, minimum, compare, where,
} from '../ops/elementwise.js';
export type { TensorLike } from '../ops/elementwise.js';
export { sum, mean, max } from '../ops/reduce.js';
export { reshape, permute, transpose, slice, concat, pad, flatten, squeeze, unsqueeze } from '../ops/movement.js';
export { broadcastTo } from '../ops/broadcast.js';
export { matmul } from '../ops/matmul.js';
export { softmax, logSoftmax, logsumexp, softplus, tanh } from '../ops/activation.js';
export { bceWithLogits, crossEntropy, mse } from '../ops/loss.js';
export type { Reduction } from '../ops/loss.js';
export { conv2d } from '../ops/conv.js';
export type { Conv2dOptions } from '../ops/conv.js';
export { gap, maxPool2d } from '../ops/pool.js';
export type { MaxPool2dOptions } from '../ops/pool.js';
export { resizeBilinear, resizeNearest } from '../ops/resize.js';
export type { ResizeBilinearOptions } from '../ops/resize.js';
export { pamr, pamrAffinity } from '../ops/pamr.js';
export type { PamrOptions } from '../ops/pamr.js';
export { setBackend, getBackend, BACKEND_NAMES } from './core/backend.js';
export type { BackendName, BackendInfo, KernelBackend } from './core/backend.js';
export {
  clsLoss, epsSaliencyLoss, epsSaliencyDetails, classOverlap, irdSaliencyLoss, irdSaliencyDetails, irdMaps,
  inconsistentRegion, inconsistent, binarize, channelSum, resizeToMap, undroppedSaliencyLoss,
  camForeground, camAgreement, epsCamWarmupLoss, CAM_FOREGROUND_THRESHOLD,
} from './losses/index.js';
export type { EpsOptions, IrdOptions } from './losses/index.js';
export { pseudoMask, flipHorizontal } from './pseudo.js';
export type { Localizer, PseudoMaskOptions } from './pseudo.js';
export { asyncKernels } from '../ops/async.js';
export type { AsyncKernels } from '../ops/async.js';

// nn, optimisers, checkpoints, models
export * from './nn/index.js';
export * from './optim/index.js';
export { saveCheckpoint, loadCheckpoint, readCheckpoint, encodeSafetensors, decodeSafetensors } from './checkpoint.js';
export type { ModelConfig, Checkpointable, CheckpointContents } from './checkpoint.js';
export * from '../models/index.js';

// data, metrics, training, evaluation, the pipeline
export * from './data/index.js';
export { ConfusionMatrix } from './metrics.js';
export { SaliencyScore } from './data/saliency-score.js';
export type { SaliencySummary } from './data/saliency-score.js';
export { trainClassifier, classifierLoss, classifierTrainDefaults, METHODS } from './train/classifier.js';
export { sgdFor } from './train/config.js';
export type { Method, ClassifierTrainConfig, TrainHooks } from './train/classifier.js';
export { trainSegmenter, segmenterTrainDefaults, mixMasks } from './train/segmenter.js';
export type { SegmenterTrainConfig } from './train/segmenter.js';
export { trainLoop } from './train/trainer.js';
export type { StepRecord, Position, TrainLoopOptions } from './train/trainer.js';
export { BatchSampler, batchTensors } from './train/sampler.js';
export { predictMasks, evaluateSegmenter, scoreMasks } from './evaluate.js';
export type { MiouResult } from './evaluate.js';
export { makePseudoMasks } from './pseudo-dataset.js';
export { argmaxChannels } from '../ops/argmax.js';
export { inspectSample } from './inspect.js';
export type { InspectOptions, Inspection } from './inspect.js';
export { runPipeline } from './pipeline/run.js';
export type { RunHooks, RunOutcome } from './pipeline/run.js';
export { runDefaults, quickPreset, mergeConfig, validateRunConfig, resolveBudgets, autoEpochs, budgetNote, AUTO_BUDGETS } from './pipeline/config.js';
export type { RunConfig, ResolvedRunConfig, RunClassifierConfig, RunSegmenterConfig, Epochs, PseudoConfig } from './pipeline/config.js';
export { mbPlusSaliency } from './saliency/mbplus.js';
export type { MbPlusOptions } from './saliency/mbplus.js';
export { writeSaliencyMaps, SaliencyInterrupted } from './saliency/dataset.js';
export type { SaliencyDatasetOptions, SaliencyDatasetResult } from './saliency/dataset.js';
export { SaliencyQualityScore, formatSaliencyQuality } from './saliency/quality.js';
export type { SaliencyQuality } from './saliency/quality.js';
export { silentProgress } from './progress.js';
export type { ProgressReporter, ProgressTask } from './progress.js';
export { writeFileAtomic } from './atomic.js';
export * from './viz/index.js';

// Types the public API refers to, named here so that consumers can use them (and the API
// reference can link them).
export type { CompareOp, PadMode, Raw } from './core/primitives.js';
export type { ReduceOptions } from '../ops/reduce.js';
export type { PadOptions } from '../ops/movement.js';
export type { CrossEntropyOptions } from '../ops/loss.js';
export type { Pair } from '../ops/conv-geom.js';
export type { GpuMode } from '../ops/kernels/gpu.js';
export type { EpsDetails, IrdMaps, IrdDetails, WarmupDetails } from './losses/index.js';
export type { PseudoMask } from './pseudo.js';
export type { TrainConfig } from './train/config.js';
export type { WarmupLoss, LossPhase } from './train/classifier.js';
export type { StepResult, TrainLoopResult } from './train/trainer.js';
export type { SamplerOptions } from './train/sampler.js';
export type { DeepPartial } from './pipeline/config.js';
export type { RunMetrics } from './pipeline/report.js';
export type { DropSummary, DropTypeScore } from './metrics.js';
export type { RGB } from './viz/canvas.js';
export type { ClassShape } from './data/shapes.js';
export type { ImageSample } from './data/same-size-batches.js';
