/**
 * Training-step benchmark: images/s of a classifier and a segmenter training step (forward +
 * loss + backward + SGD with momentum) and of eval-mode inference, at several widths, against
 * peers measured in this same run:
 *   - tfjs-backend-cpu for training (tfjs-backend-wasm has no Conv2DBackpropFilter) and
 *     tfjs-backend-wasm for inference: the same network written with tfjs-core ops (NHWC),
 *     starting from our initial weights;
 *   - PyTorch CPU (bench/train-step-torch.py) when a python3 with torch is found (the one on
 *     PATH, then Debian's /usr/bin/python3), with as many threads as ours.
 * Times are medians over steps, by wall clock and by process CPU time (all threads; on a
 * shared machine CPU time is the steadier of the two); ratios are peer time / our time
 * (> 1: we are faster).
 * Run: `npm run bench:train` or `epsx bench --only train`; `--help` lists the options.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import './tfjs-gradients.js';
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BasicBlock, BatchNorm2d, Classifier, Conv2d, ReLU, Rng, SGD, Segmenter, Sequential, Tensor, clsLoss, crossEntropy, noGrad, randn, setBackend } from '../lib/index.js';
import type { Module } from '../lib/nn/module.js';
import { threadCount } from '../ops/kernels/threads.js';

export type ModelKind = 'classifier' | 'segmenter';

export interface TrainStepBenchOptions {
  widths: number[];
  models: ModelKind[];
  batch: number;
  size: number;
  /** Measured steps per configuration (after one or two warm-up steps). */
  steps: number;
  tfjs: boolean;
  torch: boolean;
}

export const trainStepDefaults: TrainStepBenchOptions = { widths: [16, 32], models: ['classifier', 'segmenter'], batch: 8, size: 64, steps: 5, tfjs: true, torch: true };

const CLASSES = 6;
const OUTPUT_STRIDE = 4;

/** Milliseconds of one measurement: wall clock and this process's CPU time (every thread). */
interface Time {
  wall: number;
  cpu: number;
}
type Metric = keyof Time;

function middle(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** Median wall and CPU time (ms) of `steps` calls after `warmup` calls. */
async function median(fn: () => unknown, steps: number, warmup = 1): Promise<Time> {
  for (let i = 0; i < warmup; i++) await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < steps; i++) {
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    await fn();
    const c = process.cpuUsage(c0);
    wall.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: middle(wall), cpu: middle(cpu) };
}

interface Inputs {
  images: Tensor;
  labels: Tensor;
  masks: Uint8Array;
}

function inputs(o: TrainStepBenchOptions): Inputs {
  const rng = new Rng(1);
  const images = randn([o.batch, 3, o.size, o.size], { rng });
  const labels = new Tensor(Float32Array.from({ length: o.batch * CLASSES }, () => (rng.next() < 0.4 ? 1 : 0)), [o.batch, CLASSES]);
  const masks = Uint8Array.from({ length: o.batch * o.size * o.size }, () => Math.floor(rng.next() * (CLASSES + 1)));
  return { images, labels, masks };
}

function makeModel(kind: ModelKind, width: number): Classifier | Segmenter {
  const cfg = { numClasses: CLASSES, width, outputStride: OUTPUT_STRIDE };
  return kind === 'classifier' ? new Classifier(cfg) : new Segmenter(cfg);
}

function ourLoss(model: Classifier | Segmenter, x: Inputs): Tensor {
  return model instanceof Classifier ? clsLoss(model.forward(x.images).scores, x.labels) : crossEntropy(model.forward(x.images), x.masks);
}

async function ours(kind: ModelKind, width: number, x: Inputs, steps: number): Promise<{ train: Time; infer: Time }> {
  const model = makeModel(kind, width);
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
  model.train();
  const train = await median(() => {
    opt.zeroGrad();
    ourLoss(model, x).backward();
    opt.step();
  }, steps, 2);
  model.eval();
  const infer = await median(() => noGrad(() => model.forward(x.images)), steps);
  return { train, infer };
}

/**
 * Stride-1 dilated conv as tfjs's own atrous_conv2d does it (tfjs has no gradient for
 * dilation > 1): pad, split the image into d x d phase images (spaceToBatchND), run the
 * undilated kernel, interleave back (batchToSpaceND) and crop the padding that made the size
 * a multiple of d.
 */
function atrousConv(x: tf.Tensor4D, w: tf.Tensor4D, pad: number, d: number): tf.Tensor4D {
  const [, H, W] = x.shape;
  const k = w.shape[0];
  const extra = (n: number) => (d - ((n + 2 * pad) % d)) % d;
  const [eh, ew] = [extra(H), extra(W)];
  const padded = tf.pad(x, [[0, 0], [pad, pad + eh], [pad, pad + ew], [0, 0]]);
  const phases = tf.spaceToBatchND(padded, [d, d], [[0, 0], [0, 0]]) as tf.Tensor4D;
  const y = tf.conv2d(phases, w, 1, 'valid');
  const full = tf.batchToSpaceND(y, [d, d], [[0, 0], [0, 0]]) as tf.Tensor4D;
  const [oh, ow] = [H + 2 * pad - d * (k - 1), W + 2 * pad - d * (k - 1)];
  return tf.slice(full, [0, 0, 0, 0], [-1, oh, ow, -1]);
}

/**
 * The same network in tfjs-core ops (NHWC), its variables initialised from our model's
 * parameters; BatchNorm uses batch moments in training and our running statistics in eval.
 */
class TfNet {
  private readonly vars = new Map<Tensor, tf.Variable>();
  private readonly fixed = new Map<Tensor, tf.Tensor>();

  constructor(private readonly model: Classifier | Segmenter) {
    for (const p of model.parameters()) {
      const t = tf.tensor(p.data as Float32Array, p.shape);
      this.vars.set(p, tf.variable(p.ndim === 4 ? tf.transpose(t, [2, 3, 1, 0]) : t)); // OIHW -> HWIO
    }
  }

  variables(): tf.Variable[] {
    return [...this.vars.values()];
  }

  private v(p: Tensor): tf.Tensor {
    return this.vars.get(p)!;
  }

  private buffer(t: Tensor): tf.Tensor {
    let b = this.fixed.get(t);
    if (b === undefined) this.fixed.set(t, (b = tf.keep(tf.tensor1d(t.data as Float32Array)))); // made inside a tidy
    return b;
  }

  private conv(x: tf.Tensor4D, c: Conv2d, training: boolean): tf.Tensor4D {
    const w = this.v(c.weight) as tf.Tensor4D;
    const y = training && c.dilation > 1 ? atrousConv(x, w, c.padding, c.dilation) : tf.conv2d(x, w, c.stride, c.padding, 'NHWC', c.dilation);
    return c.bias ? (tf.add(y, this.v(c.bias)) as tf.Tensor4D) : y;
  }

  private bn(x: tf.Tensor4D, b: BatchNorm2d, training: boolean): tf.Tensor4D {
    const { mean, variance } = training ? tf.moments(x, [0, 1, 2]) : { mean: this.buffer(b.runningMean), variance: this.buffer(b.runningVar) };
    return tf.batchNorm(x, mean, variance, this.v(b.bias!), this.v(b.weight!), b.eps) as tf.Tensor4D;
  }

  private sequential(x: tf.Tensor4D, s: Sequential, training: boolean): tf.Tensor4D {
    return s.layers.reduce((h, m) => this.layer(h, m, training), x);
  }

  private layer(x: tf.Tensor4D, m: Module, training: boolean): tf.Tensor4D {
    if (m instanceof Conv2d) return this.conv(x, m, training);
    if (m instanceof BatchNorm2d) return this.bn(x, m, training);
    if (m instanceof ReLU) return tf.relu(x);
    if (m instanceof Sequential) return this.sequential(x, m, training);
    if (m instanceof BasicBlock) {
      const h = tf.relu(this.bn(this.conv(x, m.conv1, training), m.bn1, training));
      const y = this.bn(this.conv(h, m.conv2, training), m.bn2, training);
      return tf.relu(tf.add(y, m.shortcut ? this.sequential(x, m.shortcut, training) : x));
    }
    throw new Error(`TfNet: no tfjs version of ${m.constructor.name}`);
  }

  /** Logits NHWC: [N,h,w,C+1] for the classifier, [N,H,W,C+1] for the segmenter. */
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const bb = this.model.backbone;
    const f = bb.layers.reduce((h, block) => this.layer(h, block, training), this.sequential(x, bb.stem, training));
    if (this.model instanceof Classifier) return this.conv(f, this.model.head, training);
    const z = this.model.head.branches.map((b) => this.conv(f, b, training)).reduce((a, b) => tf.add(a, b) as tf.Tensor4D);
    return tf.image.resizeBilinear(z, [x.shape[1], x.shape[2]], false, true);
  }

  loss(x: tf.Tensor4D, labels: tf.Tensor, oneHot: tf.Tensor): tf.Scalar {
    const z = this.forward(x, true);
    if (this.model instanceof Classifier) {
      const scores = tf.mean(tf.slice(z, [0, 0, 0, 1], [-1, -1, -1, CLASSES]), [1, 2]);
      return tf.losses.sigmoidCrossEntropy(labels, scores);
    }
    return tf.losses.softmaxCrossEntropy(oneHot, tf.reshape(z, [-1, CLASSES + 1]));
  }
}

/** Our logits [N,C+1,h,w] for the model's current mode. */
function ourLogits(model: Classifier | Segmenter, images: Tensor): Tensor {
  return noGrad(() => (model instanceof Classifier ? model.forward(images).maps : model.forward(images)));
}

/**
 * Largest |difference| between the tfjs network's logits and ours from the same weights, in
 * training mode (batch statistics; dilated convs through atrousConv) and in eval mode.
 */
async function sameNetwork(kind: ModelKind, width: number, x: Inputs, images: tf.Tensor4D): Promise<string> {
  const model = makeModel(kind, width);
  const net = new TfNet(model);
  const diff = (ours: Tensor, theirs: tf.Tensor4D): number => {
    const t = tf.tidy(() => tf.transpose(theirs, [0, 3, 1, 2]).dataSync());
    let worst = 0;
    for (let i = 0; i < ours.size; i++) worst = Math.max(worst, Math.abs(ours.data[i]! - t[i]!));
    return worst;
  };
  await tf.setBackend('wasm');
  const train = diff(ourLogits(model, x.images), tf.tidy(() => net.forward(images, true)));
  model.eval();
  const evalDiff = diff(ourLogits(model, x.images), tf.tidy(() => net.forward(images, false)));
  tf.dispose(net.variables());
  return `max |logit difference| ${train.toExponential(1)} (train mode), ${evalDiff.toExponential(1)} (eval)`;
}

async function tfjs(kind: ModelKind, width: number, x: Inputs, steps: number): Promise<{ train: Time | string; infer: Time | string; check: string }> {
  const net = new TfNet(makeModel(kind, width));
  const images = tf.transpose(tf.tensor4d(x.images.data as Float32Array, x.images.shape as [number, number, number, number]), [0, 2, 3, 1]) as tf.Tensor4D;
  const check = await sameNetwork(kind, width, x, images);
  const labels = tf.tensor2d(x.labels.data as Float32Array, x.labels.shape as [number, number]);
  const oneHot = tf.oneHot(tf.tensor1d(Int32Array.from(x.masks), 'int32'), CLASSES + 1);
  const opt = tf.train.momentum(0.01, 0.9);
  const attempt = async (backend: string, fn: () => void, n: number, warmup: number): Promise<Time | string> => {
    await tf.setBackend(backend);
    try {
      return await median(fn, n, warmup);
    } catch (e) {
      return `n/a (${(e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 50)})`;
    }
  };
  // tfjs-cpu's Conv2DBackpropFilter takes tens of seconds at batch 8 (naive loops): one step
  // of one image, scaled by the batch size (the work is linear in the batch).
  const one = [tf.slice(images, 0, 1), tf.slice(labels, 0, 1), tf.slice(oneHot, 0, x.images.shape[2]! * x.images.shape[3]!)] as const;
  const trainOne = await attempt('cpu', () => tf.tidy(() => void opt.minimize(() => net.loss(...one), false, net.variables())), 1, 0);
  const n = x.images.shape[0]!;
  const train = typeof trainOne === 'string' ? trainOne : { wall: trainOne.wall * n, cpu: trainOne.cpu * n };
  const infer = await attempt('wasm', () => {
    const out = tf.tidy(() => net.forward(images, false));
    out.dataSync();
    out.dispose();
  }, steps, 1);
  tf.dispose([images, labels, oneHot, ...one, ...net.variables()]);
  opt.dispose();
  return { train, infer, check };
}

type TorchRow = { model: ModelKind; width: number; train: Time; infer: Time };

/** A python3 that imports torch, or the reasons why none does. */
function findTorchPython(): { python: string } | { reason: string } {
  const reasons: string[] = [];
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python };
    reasons.push(`${python}: ${r.error ? 'not found' : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`)}`);
  }
  return { reason: reasons.join('; ') };
}

function torchRows(o: TrainStepBenchOptions): TorchRow[] | string {
  const found = findTorchPython();
  if ('reason' in found) return `skipped: no python3 with torch (${found.reason})`;
  const script = fileURLToPath(new URL('./train-step-torch.py', import.meta.url));
  const cfg = { widths: o.widths, models: o.models, batch: o.batch, size: o.size, classes: CLASSES, threads: threadCount(), steps: o.steps, outputStride: OUTPUT_STRIDE };
  const r = spawnSync(found.python, [script, JSON.stringify(cfg)], { encoding: 'utf8' });
  if (r.status !== 0) return `failed: ${found.python} ${script}: ${r.stderr.trim().split('\n').pop()}`;
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as TorchRow);
}

interface Row {
  name: string;
  ours: { train: Time; infer: Time };
  tfjs: { train: Time | string; infer: Time | string };
  torch: { train: Time | string; infer: Time | string };
}

/** The rows as a table of one metric: ms, images/s and the ratio to ours per peer. */
function printTable(rows: Row[], metric: Metric, batch: number, threads: number): void {
  const mine = (t: Time) => `${t[metric].toFixed(1).padStart(8)} ms ${((batch / t[metric]) * 1000).toFixed(1).padStart(6)} img/s`;
  const peer = (t: Time | string, our: Time): string =>
    typeof t === 'string' ? t.slice(0, 30).padEnd(30) : `${t[metric].toFixed(1).padStart(8)} ms ${((batch / t[metric]) * 1000).toFixed(1).padStart(7)} img/s ${(t[metric] / our[metric]).toFixed(2).padStart(6)}x`;
  const head = ['model'.padEnd(16), 'ours train'.padEnd(24), 'tfjs-cpu train*'.padEnd(30), `torch train (${threads} threads)`.padEnd(30), 'ours inference'.padEnd(24), 'tfjs-wasm inference'.padEnd(30), 'torch inference'];
  console.log(`by ${metric === 'wall' ? 'wall-clock' : 'process CPU'} time:`);
  console.log(head.join(' | '));
  for (const r of rows) {
    console.log([r.name.padEnd(16), mine(r.ours.train), peer(r.tfjs.train, r.ours.train), peer(r.torch.train, r.ours.train), mine(r.ours.infer), peer(r.tfjs.infer, r.ours.infer), peer(r.torch.infer, r.ours.infer)].join(' | '));
  }
}

/** Run the benchmark and print its table; resolves when done. */
export async function trainStepBench(o: TrainStepBenchOptions = trainStepDefaults): Promise<void> {
  const t0 = performance.now();
  setBackend('webasm');
  const x = inputs(o);
  const load = loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`train-step bench: ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, node ${process.version}, load average ${load}; batch ${o.batch}, ${o.size}x${o.size}, ${CLASSES} classes`);
  console.log(`ours = gpu.js webasm, ${threadCount()} threads; medians of ${o.steps} steps; ratio = peer time / our time (> 1: we are faster)`);
  const torch = o.torch ? torchRows(o) : 'skipped (--no-torch)';
  if (typeof torch === 'string') console.log(`PyTorch: ${torch}`);
  if (o.tfjs) {
    await tf.setBackend('wasm');
    await tf.ready();
  }
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const kind of o.models)
    for (const width of o.widths) {
      const name = `${kind} w${width}`;
      const our = await ours(kind, width, x, o.steps);
      const peer = o.tfjs ? await tfjs(kind, width, x, o.steps) : { train: 'skipped', infer: 'skipped', check: '' };
      const t = typeof torch === 'string' ? undefined : torch.find((r) => r.model === kind && r.width === width);
      rows.push({ name, ours: our, tfjs: peer, torch: t ?? { train: '-', infer: '-' } });
      console.log(`${name}: ours ${our.train.wall.toFixed(1)} ms a training step, ${our.infer.wall.toFixed(1)} ms inference (wall)`);
      if (peer.check) notes.push(`${name}: the tfjs network computes ours: ${peer.check}`);
      if (t) notes.push(`${name}: training step ${our.train.wall.toFixed(1)} ms (CPU ${our.train.cpu.toFixed(1)}), PyTorch ${t.train.wall.toFixed(1)} ms (CPU ${t.train.cpu.toFixed(1)}): epsx takes ${(our.train.wall / t.train.wall).toFixed(1)}x PyTorch's wall time, ${(our.train.cpu / t.train.cpu).toFixed(1)}x its CPU time`);
    }
  printTable(rows, 'wall', o.batch, threadCount());
  printTable(rows, 'cpu', o.batch, threadCount());
  for (const s of notes) console.log(s);
  if (o.tfjs) console.log(`* tfjs-cpu training: one step of one image, times ${o.batch} (a batch-${o.batch} step takes minutes)`);
  console.log(`bench time ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

/** Options from argv: --widths 16,32 --models classifier,segmenter --batch 8 --size 64 --steps 5 --no-tfjs --no-torch. */
export function parseTrainStepArgs(argv: readonly string[]): TrainStepBenchOptions {
  const o = { ...trainStepDefaults };
  const ints = (v: string | undefined, flag: string): number[] => {
    const xs = (v ?? '').split(',').map(Number);
    if (xs.length === 0 || !xs.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`${flag} expects positive integers separated by commas, got ${JSON.stringify(v)}`);
    return xs;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--no-tfjs') o.tfjs = false;
    else if (flag === '--no-torch') o.torch = false;
    else if (flag === '--widths') o.widths = ints(argv[++i], flag);
    else if (flag === '--batch') o.batch = ints(argv[++i], flag)[0]!;
    else if (flag === '--size') o.size = ints(argv[++i], flag)[0]!;
    else if (flag === '--steps') o.steps = ints(argv[++i], flag)[0]!;
    else if (flag === '--models') {
      const ms = (argv[++i] ?? '').split(',');
      if (!ms.every((m) => m === 'classifier' || m === 'segmenter')) throw new Error(`--models expects classifier and/or segmenter, got ${JSON.stringify(argv[i])}`);
      o.models = ms as ModelKind[];
    } else throw new Error(`unknown option ${flag}`);
  }
  return o;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let opts: TrainStepBenchOptions;
  try {
    opts = parseTrainStepArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench/train-step: ${(e as Error).message}`);
    process.exit(2);
  }
  await trainStepBench(opts);
}
