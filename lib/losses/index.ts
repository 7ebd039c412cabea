/** The losses of the method (docs/method.md): classification, EPS and EPS++ (IRD). */
export { clsLoss } from './cls.js';
export { classOverlap, epsSaliencyDetails, epsSaliencyLoss } from './eps.js';
export type { EpsDetails, EpsOptions } from './eps.js';
export { foregroundMap, inconsistent, inconsistentRegion, irdMaps, irdSaliencyDetails, irdSaliencyLoss, keptSaliencyLoss, scaleDilations, undroppedSaliencyLoss } from './ird.js';
export type { IrdDetails, IrdMaps, IrdOptions } from './ird.js';
export { binarize, channelSum, resizeToMap } from './maps.js';
export { CAM_FOREGROUND_THRESHOLD, camAgreement, camForeground, epsCamWarmupLoss } from './warmup.js';
export type { WarmupDetails } from './warmup.js';
