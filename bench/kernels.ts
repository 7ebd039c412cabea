/**
 * Kernel benchmark: epsx gpu.js kernels against @tensorflow/tfjs-backend-wasm and
 * tfjs-backend-cpu, all measured in this one process. Run: `npm run bench:kernels`.
 *
 * "ours" = the engine path: gpu.js webasm kernels called synchronously, split over all
 * cores by our worker pool (ops/kernels/threads.ts), NCHW in and out, host-side packing
 * included. "1 thread" = the same with EPSX_THREADS=1. "gpu.js async" = the same programs
 * through the async entry points, where gpu.js splits each launch over its own worker pool.
 * tfjs runs NHWC (its native layout) and includes the readback. Ratios are peer time / our
 * time (> 1: we are faster), against the "ours" column.
 * On a shared machine wall time is noisy, so every timing also records the process CPU time
 * (all threads) of its best run: "1v1 cpu" compares our one-thread CPU time with tfjs-wasm's
 * (single-threaded in Node), and "threads*cpu1/cpuN" is the thread speed-up an idle machine allows
 * (the CPU work the split adds; the wall speed-up also needs free cores).
 * Options: --peers wasm,cpu and --only conv,gap,pamr select peers and rows.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { cpus } from 'node:os';
import { asyncKernels, conv2d, gap, pamr, randn, rand, setBackend, type Tensor } from '../lib/index.js';
import { convGeom } from '../ops/conv-geom.js';
import { convKernels } from '../ops/kernels/conv.js';
import { threadCount } from '../ops/kernels/threads.js';

type Peer = 'wasm' | 'cpu';
const GROUPS = ['conv', 'gap', 'pamr'] as const;

/** `--peers wasm,cpu` and `--only conv,gap,pamr` (defaults: all): a loaded machine can skip
 * tfjs-cpu, whose conv rows take minutes. */
function listArg<T extends string>(flag: string, all: readonly T[]): T[] {
  const i = process.argv.indexOf(flag);
  if (i < 0) return [...all];
  const v = (process.argv[i + 1] ?? '').split(',');
  if (v.some((e) => !all.includes(e as T))) {
    console.error(`bench/kernels: ${flag} takes a comma list of ${all.join(', ')}; got ${JSON.stringify(process.argv[i + 1] ?? '')}`);
    process.exit(2);
  }
  return v as T[];
}
const PEERS: Peer[] = listArg('--peers', ['wasm', 'cpu'] as const);
const ONLY = listArg('--only', GROUPS);

/** Time the engine path once with all threads and once with one. */
async function timeOurs(fn: () => unknown): Promise<{ ours: number; ours1: number; cpuN: number; cpu1: number }> {
  await fn(); // the first threaded call starts the workers (seconds): not part of the op
  const ours = await time(fn);
  const cpuN = lastCpu;
  process.env.EPSX_THREADS = '1';
  try {
    return { ours, cpuN, ours1: await time(fn), cpu1: lastCpu };
  } finally {
    delete process.env.EPSX_THREADS;
  }
}

/** Process CPU time (ms, all threads) of the last time() call's best run. */
let lastCpu = NaN;
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Best wall time (ms) of a few runs after one warm-up; a single run for ops over 1.5 s.
 * Also sets lastCpu to the least CPU time of those runs. */
async function time(fn: () => unknown): Promise<number> {
  let t0 = performance.now();
  let c0 = cpuMs();
  await fn();
  const first = performance.now() - t0;
  lastCpu = cpuMs() - c0;
  if (first > 1500) return first;
  const reps = Math.max(1, Math.min(4, Math.ceil(1500 / first)));
  let best = first;
  for (let r = 0; r < reps; r++) {
    t0 = performance.now();
    c0 = cpuMs();
    await fn();
    best = Math.min(best, performance.now() - t0);
    lastCpu = Math.min(lastCpu, cpuMs() - c0);
  }
  return best;
}

interface Row {
  name: string;
  flops: number;
  ours: number;
  /** Single-threaded engine path. */
  ours1: number;
  /** CPU time (ms) of the engine path with all threads and with one. */
  cpuN: number;
  cpu1: number;
  /** CPU time (ms) of tfjs-wasm. */
  wasmCpu?: number;
  /** gpu.js async (its own worker pool). */
  ours2?: number;
  /** tfjs-cpu time measured at batch 1 and scaled to the batch. */
  scaled?: boolean;
  peers: Partial<Record<Peer, number | string>>;
}

const rows: Row[] = [];

/** CPU time of the last onPeer call. */
let peerCpu = NaN;

async function onPeer(peer: Peer, fn: () => tf.Tensor): Promise<number | string> {
  await tf.setBackend(peer);
  try {
    // Read back outside tidy: dataSync inside a tidy scope is ~40x slower on tfjs-wasm.
    return await time(() => {
      const out = tf.tidy(fn);
      out.dataSync();
      out.dispose();
    }).finally(() => (peerCpu = lastCpu));
  } catch (e) {
    return `n/a (${(e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 60)})`;
  }
}

/** tfjs NHWC copies of an NCHW tensor / an OIHW weight ([kh, kw, C, K]). */
const nhwc = (t: Tensor) => tf.transpose(tf.tensor4d(t.data as Float32Array, t.shape as [number, number, number, number]), [0, 2, 3, 1]);
const hwio = (t: Tensor) => tf.transpose(tf.tensor4d(t.data as Float32Array, t.shape as [number, number, number, number]), [2, 3, 1, 0]);

async function convRows(): Promise<void> {
  const N = 8;
  const ours = convKernels('webasm');
  const threaded = asyncKernels('webasm');
  for (const [C, K, H] of [[3, 32, 64], [32, 32, 64], [64, 64, 32], [128, 128, 16]] as const) {
    const x = randn([N, C, H, H]);
    const w = randn([K, C, 3, 3]);
    const gy = randn([N, K, H, H]);
    const g = convGeom(x.shape, w.shape, null, { padding: 1 });
    const flops = 2 * N * K * C * 9 * H * H;
    const tx = nhwc(x), tw = hwio(w), tgy = nhwc(gy);
    const shape = `${C}->${K} @${H}x${H}`;
    const opts = { padding: 1 };
    const xShape: [number, number, number, number] = [N, H, H, C];
    const tx1 = tf.slice(tx, [0, 0, 0, 0], [1, -1, -1, -1]), tgy1 = tf.slice(tgy, [0, 0, 0, 0], [1, -1, -1, -1]);
    const filterGrad = (a: tf.Tensor, dy: tf.Tensor) => () =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x: a, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, C, K] } as never) as tf.Tensor;
    const specs: Array<[string, () => unknown, () => Promise<unknown>, () => tf.Tensor]> = [
      ['conv2d fwd', () => ours.forward(x.data, w.data, null, g), () => threaded.conv2d(x, w, null, opts), () => tf.conv2d(tx as tf.Tensor4D, tw as tf.Tensor4D, 1, 'same')],
      ['conv2d bwd-input', () => ours.backwardInput(gy.data, w.data, g), () => threaded.conv2dBackwardInput(gy, w, x.shape, opts), () => tf.conv2dTranspose(tgy as tf.Tensor4D, tw as tf.Tensor4D, xShape, 1, 'same')],
      ['conv2d bwd-weight', () => ours.backwardWeight(gy.data, x.data, g), () => threaded.conv2dBackwardWeight(gy, x, w.shape, opts), filterGrad(tx, tgy)],
    ];
    // tfjs-cpu's Conv2DBackpropFilter takes 10-40 s at batch 8: time batch 1 and scale by 8 (marked *).
    for (const [op, run, runThreaded, peer] of specs) {
      const row: Row = { name: `${op} ${shape}`, flops, ...(await timeOurs(run)), ours2: await time(runThreaded), peers: {} };
      for (const p of PEERS) {
        if (op === 'conv2d bwd-weight' && p === 'cpu') {
          const t = await onPeer(p, filterGrad(tx1, tgy1));
          row.peers[p] = typeof t === 'number' ? t * N : t;
          row.scaled = true;
        } else row.peers[p] = await onPeer(p, peer);
        if (p === 'wasm' && typeof row.peers[p] === 'number') row.wasmCpu = peerCpu;
      }
      rows.push(row);
      print(row);
    }
    tf.dispose([tx, tw, tgy, tx1, tgy1]);
  }
}

async function gapRow(): Promise<void> {
  const x = randn([8, 128, 32, 32]);
  setBackend('webasm');
  const tx = nhwc(x);
  const row: Row = { name: 'gap 8x128x32x32', flops: x.size, ...(await timeOurs(() => gap(x))), peers: {} };
  for (const p of PEERS) row.peers[p] = await onPeer(p, () => tf.mean(tx, [1, 2]));
  tx.dispose();
  rows.push(row);
  print(row);
}

/** PAMR with tfjs ops (docs/method.md#pamr), NHWC: replicate padding by clamped gathers. */
function tfPamr(image: tf.Tensor4D, mask: tf.Tensor4D, dilations: number[], iterations: number): tf.Tensor {
  const [, H, W] = image.shape as number[] as [number, number, number, number];
  const P = Math.max(...dilations);
  const clampIdx = (n: number) => tf.tensor1d(Array.from({ length: n + 2 * P }, (_, i) => Math.min(n - 1, Math.max(0, i - P))), 'int32');
  const [iy, ix] = [clampIdx(H), clampIdx(W)];
  const offsets = dilations.flatMap((d) => [-d, 0, d].flatMap((dy) => [-d, 0, d].filter((dx) => dy !== 0 || dx !== 0).map((dx) => [dy, dx] as const)));
  const neighbours = (t: tf.Tensor4D): tf.Tensor => {
    const padded = tf.gather(tf.gather(t, iy, 1), ix, 2) as tf.Tensor4D;
    return tf.stack(offsets.map(([dy, dx]) => tf.slice(padded, [0, P + dy, P + dx, 0], [-1, H, W, -1])), 4); // [N,H,W,K,J]
  };
  const nb = neighbours(image);
  const centre = tf.expandDims(image, 4);
  const taps = tf.concat([nb, ...dilations.map(() => centre)], 4);
  const n = taps.shape[4]!;
  const { variance } = tf.moments(taps, 4, true);
  const sigma = tf.sqrt(tf.mul(variance, n / (n - 1)));
  const a = tf.mean(tf.div(tf.neg(tf.abs(tf.sub(centre, nb))), tf.add(tf.mul(sigma, 0.1), 1e-8)), 3); // [N,H,W,J]
  const alpha = tf.expandDims(tf.softmax(a, -1), 3);
  let m: tf.Tensor4D = mask;
  for (let t = 0; t < iterations; t++) m = tf.sum(tf.mul(neighbours(m), alpha), 4) as tf.Tensor4D;
  return m;
}

async function pamrRows(): Promise<void> {
  for (const [H, C] of [[64, 7], [16, 7]] as const) {
    const image = rand([1, 3, H, H]);
    const mask = rand([1, C, H, H]);
    const J = 48, D = 6, K = 3, T = 10;
    // std (2 passes over 9D taps), |diff| / sigma per (j, k), softmax, and T steps of J multiply-adds per channel
    const flops = H * H * (K * (4 * 9 * D + 3 * J) + 4 * J + T * C * 2 * J);
    setBackend('webasm');
    const threaded = asyncKernels('webasm');
    const ti = nhwc(image) as tf.Tensor4D, tm = nhwc(mask) as tf.Tensor4D;
    const row: Row = { name: `pamr 3x${H}x${H} + ${C}x${H}x${H}`, flops, ...(await timeOurs(() => pamr(image, mask))), ours2: await time(() => threaded.pamr(image, mask)), peers: {} };
    for (const p of PEERS) row.peers[p] = await onPeer(p, () => tfPamr(ti, tm, [1, 2, 4, 8, 12, 24], T));
    tf.dispose([ti, tm]);
    rows.push(row);
    print(row);
  }
}

const gf = (flops: number, ms: number): string => (flops / ms / 1e6).toFixed(2).padStart(6);
const ratio = (r: Row, p: Peer): number | null => (typeof r.peers[p] === 'number' ? (r.peers[p] as number) / r.ours : null);

function print(r: Row): void {
  const cell = (ms: number | undefined): string => (ms === undefined ? ''.padEnd(17) : `${ms.toFixed(1).padStart(7)} ms ${gf(r.flops, ms)}`);
  const cells = [r.name.padEnd(33), cell(r.ours), cell(r.ours1), cell(r.ours2)];
  for (const p of PEERS) {
    const v = r.peers[p];
    const mark = p === 'cpu' && r.scaled ? '*' : ' ';
    cells.push(typeof v === 'number' ? `${v.toFixed(1).padStart(8)} ms${mark}${gf(r.flops, v)}  ${ratio(r, p)!.toFixed(2).padStart(6)}x` : String(v).slice(0, 29).padEnd(29));
  }
  const cpu1v1 = r.wasmCpu !== undefined ? `${(r.wasmCpu / r.cpu1).toFixed(2)}x` : 'n/a';
  cells.push(`${r.cpu1.toFixed(1).padStart(7)} ms ${gf(r.flops, r.cpu1)} ${cpu1v1.padStart(6)} | ${(r.ours1 / r.ours).toFixed(2)}x ${((threadCount() * r.cpu1) / r.cpuN).toFixed(2)}x`);
  console.log(cells.join(' | '));
}

function geomean(xs: number[]): number {
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

const t0 = performance.now();
await tf.setBackend('wasm');
await tf.ready();
await tf.setBackend('cpu');
console.log(`kernel bench: ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, node ${process.version}; ours = gpu.js webasm, sync, ${threadCount()} threads`);
console.log(['op'.padEnd(33), 'ours: ms  GFLOP/s', '1 thread', 'gpu.js async', ...PEERS.map((p) => `tfjs-${p}: ms GFLOP/s  ratio`), '1 thread cpu: ms GFLOP/s 1v1 cpu', 'threads: wall threads*cpu1/cpuN'].map((h, i) => (i > 0 && i < 4 ? h.padEnd(17) : h)).join(' | '));
if (ONLY.includes('conv')) await convRows();
if (ONLY.includes('gap')) await gapRow();
if (ONLY.includes('pamr')) await pamrRows();

const conv = rows.filter((r) => r.name.startsWith('conv2d'));
for (const p of PEERS) {
  const rs = conv.map((r) => ratio(r, p)).filter((v): v is number => v !== null);
  const missing = conv.length - rs.length;
  console.log(`conv2d fwd+bwd geometric-mean ratio vs tfjs-${p}: ${geomean(rs).toFixed(2)}x over ${rs.length} rows${missing ? ` (${missing} rows n/a: tfjs-${p} has no Conv2DBackpropFilter)` : ''}`);
  const all = rows.map((r) => ratio(r, p)).filter((v): v is number => v !== null);
  console.log(`all rows geometric-mean ratio vs tfjs-${p}: ${geomean(all).toFixed(2)}x over ${all.length} rows`);
}
console.log(`conv rows, geometric mean speed-up of ${threadCount()} threads over 1: ${geomean(conv.map((r) => r.ours1 / r.ours)).toFixed(2)}x wall, ${geomean(conv.map((r) => (threadCount() * r.cpu1) / r.cpuN)).toFixed(2)}x allowed by CPU time (threads*cpu1/cpuN); of our pool over gpu.js async: ${geomean(conv.map((r) => r.ours2! / r.ours)).toFixed(2)}x`);
for (const op of ['fwd', 'bwd-input', 'bwd-weight']) {
  const rs = conv.filter((r) => r.name.startsWith(`conv2d ${op} `));
  console.log(`conv2d ${op}: one thread vs tfjs-wasm by CPU time ${rs.map((r) => (r.wasmCpu === undefined ? 'n/a' : `${(r.wasmCpu / r.cpu1).toFixed(2)}x`)).join(' ')}; one-thread GFLOP/s by CPU time ${rs.map((r) => (r.flops / r.cpu1 / 1e6).toFixed(1)).join(' ')}`);
}
if (PEERS.includes('cpu')) console.log('* tfjs-cpu Conv2DBackpropFilter timed at batch 1 and scaled by 8 (batch 8 takes 10-40 s per call)');
console.log(`bench time ${((performance.now() - t0) / 1000).toFixed(0)} s`);
