import type { CAC } from 'cac';
import { register as bench } from './bench.js';
import { register as evaluate } from './eval.js';
import { register as exportCmd } from './export.js';
import { register as inspect } from './inspect.js';
import { register as playground } from './playground.js';
import { register as predict } from './predict.js';
import { register as pseudo } from './pseudo.js';
import { register as run } from './run.js';
import { register as saliency } from './saliency.js';
import { register as synth } from './synth.js';
import { register as trainCls } from './train-cls.js';
import { register as trainSeg } from './train-seg.js';

/** Every subcommand registers itself on the cac instance, in pipeline order. */
export const commands: Array<(cli: CAC) => void> = [run, synth, saliency, trainCls, pseudo, inspect, trainSeg, evaluate, predict, exportCmd, bench, playground];
