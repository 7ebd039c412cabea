/**
 * gpu.js conv2d kernels, shaped for gpu.js's WebAssembly backend, where SIMD lanes are 4
 * consecutive thread.x cells and every lane-varying read is a gather (4 scalar loads)
 * while a read whose index does not depend on thread.x is one scalar load + splat:
 *  - `convCore` (forward, and backward-input as a transposed conv, strided ones one launch
 *    per output phase so no work goes to inserted zeros): lanes = 4 output channels
 *    (thread.x = k), a thread computes `kb` such vectors (channels k, k + Kp/kb, ...) for
 *    `px` consecutive output x (tileFor: 2 x 4 where the code generator stores 8-float
 *    returns, else 1 x 4), thread.y = block of px output x, thread.z = (image, output row).
 *    It loops over input channel and tap, one tap per iteration (a few live values, no
 *    spills); input pixels are uniform splat loads reused by the kb vectors; weights are
 *    packed [C][T][Kp]. Layers whose packed weights would outgrow the L2 cache run as
 *    several launches, one per group of output channels.
 *  - `weightGrad`: lanes = output channels, thread.z = input channel; where the code
 *    generator stores wide returns and the kernel has 5-16 taps, components = every tap
 *    (weightGradAllSource), else thread.y = kernel row (and group of 4 taps when kw > 4) and
 *    components = taps of the row. The output gradient is split by ox mod WU into WU arrays
 *    [n][oy][ox/WU][Kp] (one shared index, wide loads); input pixels are uniform loads.
 * Inputs are zero-padded on the host so kernels have no bounds checks. Index expressions use
 * `(v | 0)`, thread ids and literals so gpu.js emits int32 math (its locals are float32,
 * exact below 2^24: batches are split to stay under that).
 */
import type { DataArray } from '../../lib/core/precision.js';
import type { ConvGeom } from '../conv-geom.js';
import { maxComponents, type GpuMode } from './gpu.js';
import { batchChunks, planesWriter } from './pack.js';
import { F32_EXACT, f32, freeze, materialize, roundUp, type Arg, type ArgWriter, type Program } from './program.js';
import { runSync } from './run.js';
import { stridedCopy, type Level, type Part, type Staged } from './wasm-copy.js';
import { packedWeights } from './weight-cache.js';

export interface ConvKernels {
  forward(x: DataArray, w: DataArray, b: DataArray | null, g: ConvGeom): DataArray;
  backwardInput(gy: DataArray, w: DataArray, g: ConvGeom): DataArray;
  backwardWeight(gy: DataArray, x: DataArray, g: ConvGeom): DataArray;
}

/** A core problem: input packed as [N][C][Hp][Wp] (zero-padded), output [N][K][OH][OW]. */
interface Core {
  N: number; C: number; K: number; Hp: number; Wp: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  OH: number; OW: number;
  /** Output x per thread and blocks of output channels per thread (tileFor): a thread
   * returns kb * px floats. */
  px: number;
  kb: number;
}

/** Output x (px) and blocks of 4-lane output channel vectors (kb) per convCore thread, for a
 * backend storing up to `maxFloats` floats per thread. Where the code generator stores wide
 * returns: 2 channel vectors x 4 pixels (each input splat feeds two weight vectors; 8 sums +
 * 2 weights + 4 inputs fit the 16 vector registers), unless that pads K further than 4
 * lanes do (K = 3, 12, ...): then one vector x TILE_PX pixels. Stock gpu.js and GL: 1 x 4. */
export function tileFor(K: number, maxFloats: number): { px: number; kb: number } {
  if (maxFloats < 8) return { px: PX, kb: 1 };
  return roundUp(K, 8) === roundUp(K, 4) ? { px: PX, kb: 2 } : { px: TILE_PX, kb: 1 };
}

/** Output x per thread (components) in convCore where a thread returns 4 floats (stock gpu.js,
 * and every GL backend), and the rows' block in weightGrad's fits check. */
const PX = 4;
/** Output x per thread with one channel vector where wide returns are stored (tileFor):
 * 7 sums + 1 weight + 7 inputs stay in registers (8 measured slower: it spills). */
const TILE_PX = 7;
/** The most output x any tile covers (the fits check's row lengths). */
const MAX_PX = 8;
/** Output pixels per loop step in weightGrad (one output-gradient array each): 8 amortises
 * the loop better on wide rows (measured 8.8 vs 7.6 GFLOP/s at 64 wide), 4 wastes less on
 * narrow ones. With every tap in one thread (weightGradAllSource) 4 at any width: its 9 sums
 * leave fewer registers (one thread, CPU time: 32->32 64x64 13.9 -> 14.6, 64->64 32x32 15.5
 * -> 17.3 GFLOP/s). The products are summed in pixel order either way. */
const wgradStep = (OW: number, allTaps = false): number => (!allTaps && OW >= 32 ? 8 : 4);
/** Zeros after the packed input: discarded lanes and pixels past the row end read here. */
const TAIL = 4;

/**
 * Weights [K][C][T] -> [C][T][Kp] (zero-padded channels): the kernel's tap loop reads one
 * vector of Kp/kb channels per tap at ((c * T + t) * Kp + k).
 * `transposed`: the weights of a transposed conv (backward-input) read straight from the
 * forward's w [C][K][wT]: channels swapped, tap t read from w's tap `taps[t]` (reversed, or
 * one stride phase's taps). Written in place in the final layout: one pass, no intermediate.
 */
function tapWeights(w: ArrayLike<number>, K: number, C: number, T: number, Kp: number, [k0, k1]: [number, number], transposed?: { taps: number[]; wT: number }): Float32Array {
  const out = new Float32Array(C * T * Kp);
  if (transposed !== undefined) {
    const { taps, wT } = transposed;
    for (let c = 0; c < C; c++)
      for (let t = 0; t < T; t++)
        for (let k = k0, d = (c * T + t) * Kp - k0, s = (c * K + k0) * wT + taps[t]!; k < k1; k++, s += wT) out[d + k] = w[s]!;
  } else {
    for (let k = k0; k < k1; k++)
      for (let c = 0; c < C; c++) {
        const s = (k * C + c) * T;
        for (let t = 0, d = c * T * Kp + k - k0; t < T; t++, d += Kp) out[d] = w[s + t]!;
      }
  }
  return out;
}

/** Kernel sources by geometry: a training loop asks for the same few every step, and a
 * source built again is a new string that the kernel cache (gpu.ts) must hash again. */
const sources = new Map<string, string>();
const SOURCES = 256;

function memoSource(kind: string, p: Core, extra: number, build: () => string): string {
  const key = `${kind} ${p.N} ${p.C} ${p.K} ${p.Hp} ${p.Wp} ${p.kh} ${p.kw} ${p.sh} ${p.sw} ${p.dh} ${p.dw} ${p.OH} ${p.OW} ${p.px} ${extra}`;
  let s = sources.get(key);
  if (s === undefined) {
    if (sources.size >= SOURCES) sources.delete(sources.keys().next().value!);
    sources.set(key, (s = build()));
  }
  return s;
}

function coreSource(p: Core): string {
  return memoSource('core', p, p.kb, () => buildCoreSource(p));
}

/**
 * The tap loop: per input channel and tap, kb weight vectors (lanes = 4 output channels
 * each, kb blocks of Kp/kb channels apart) and px input pixels read as uniform splat loads,
 * kb * px multiply-adds. One tap per loop iteration keeps few values live (kb * px sums,
 * kb weights, px inputs: 14 of the 16 vector registers at kb = 2, px = 4), so TurboFan
 * neither hoists a whole kernel's loads nor spills (unrolled taps measured slower). Products
 * are added in the order channel, kernel row, kernel column.
 */
function buildCoreSource(p: Core): string {
  const Kp = roundUp(p.K, 4 * p.kb);
  const Kx = Kp / p.kb;
  const plane = p.Hp * p.Wp;
  const sum = (h: number, m: number): string => `a${h * p.px + m}`;
  const all = Array.from({ length: p.kb * p.px }, (_, i) => `a${i}`);
  let body = '';
  for (let h = 0; h < p.kb; h++) body += `const g${h} = w[wb + j * ${Kp} + this.thread.x${h > 0 ? ` + ${h * Kx}` : ''}];\n`;
  for (let m = 0; m < p.px; m++) {
    body += `v = x[(rb | 0) + ${m * p.sw}];\n`;
    body += Array.from({ length: p.kb }, (_, h) => `${sum(h, m)} += g${h} * v;`).join(' ') + '\n';
  }
  return `function (x, w) {
  const n = Math.floor(this.thread.z / ${p.OH});
  const oy = this.thread.z % ${p.OH};
  let rb = n * ${p.C * plane} + oy * ${p.sh * p.Wp} + this.thread.y * ${p.px * p.sw};
  ${all.map((a) => `let ${a} = 0.0;`).join(' ')} let v = 0.0;
  for (let c = 0; c < ${p.C}; c++) {
    for (let i = 0; i < ${p.kh}; i++) {
      const wb = (c * ${p.kh} + i) * ${p.kw * Kp};
      for (let j = 0; j < ${p.kw}; j++) {
${body}
        rb = rb + ${p.dw};
      }
      rb = rb + ${p.dh * p.Wp - p.kw * p.dw};
    }
    rb = rb + ${plane - p.kh * p.dh * p.Wp};
  }
  return [${all.join(', ')}];
}`;
}

/** convCore on packed input (one batch chunk) with weights [C][T][Kp]; returns [N,K,OH,OW]
 * (+bias). `transient`: the caller copies the result before its next launch (over* below). */
function* convCore(P: Arg, wt: Float32Array, b: ArrayLike<number> | null, p: Core, transient = false): Program<Float32Array> {
  const Kp = roundUp(p.K, 4 * p.kb);
  const XB = Math.ceil(p.OW / p.px);
  const { N, K, OH, OW, px, kb } = p;
  return yield {
    source: coreSource(p), output: [Kp / kb, XB, N * OH], args: [P, wt], components: kb * px,
    cost: Kp * XB * N * OH * px * p.C * p.kh * p.kw, unpack: { N, K, OH, OW, XB, Kp, PX: px, KB: kb, bias: b }, transient,
  };
}

/** Packed weights of one launch stay under this many bytes: every thread streams all of
 * them, so the fewer levels of cache they spill to, the faster (one thread, 128->128
 * channels 3x3 at 16x16: 590 KiB in one launch 13 GFLOP/s; 2 launches of 295 KiB 18.4;
 * 4 of 147 KiB 21.3; 8 of 74 KiB 21.7, where 64->64 split in 2 loses a little). */
const WEIGHT_BYTES = 160 * 1024;

/** Output channel groups [k0, k1) whose packed weights (C * T * Kp floats) fit WEIGHT_BYTES;
 * each group's channels a multiple of 4 kb, so only the last pads. */
function channelGroups(K: number, C: number, T: number, kb: number): Array<[number, number]> {
  const unit = 4 * kb;
  const units = Math.ceil(K / unit);
  const groups = Math.min(units, Math.max(1, Math.ceil((C * T * units * unit * 4) / WEIGHT_BYTES)));
  const per = Math.ceil(units / groups) * unit;
  const out: Array<[number, number]> = [];
  for (let k0 = 0; k0 < K; k0 += per) out.push([k0, Math.min(K, k0 + per)]);
  return out;
}

/**
 * `perGroup` over output channel groups (channelGroups), each giving [N][k1 - k0][P]:
 * concatenated along channels into [N][K][P]; `copied` tells perGroup its result is copied
 * here (so it may live in a reused buffer), `group` is the group's index in `groups`.
 */
function* overChannels(N: number, K: number, P: number, groups: Array<[number, number]>, perGroup: (k0: number, k1: number, copied: boolean, group: number) => Program<Float32Array>): Program<Float32Array> {
  if (groups.length === 1) return yield* perGroup(0, K, false, 0);
  const out = new Float32Array(N * K * P);
  for (const [group, [k0, k1]] of groups.entries()) {
    const r = yield* perGroup(k0, k1, true, group);
    const span = (k1 - k0) * P;
    for (let n = 0; n < N; n++) out.set(r.subarray(n * span, (n + 1) * span), (n * K + k0) * P);
  }
  return out;
}

/**
 * The packed input of each batch chunk, for the launches of every channel group: packed
 * once and frozen when there are several groups (a module that holds it from the previous
 * group's launch skips the copy), else written straight into the module by its writer.
 */
function packedInputs(groups: number, pack: (n0: number, p: Core) => ArgWriter): (n0: number, p: Core) => Arg {
  if (groups === 1) return pack;
  const done = new Map<number, Float32Array>();
  return (n0, p) => {
    let a = done.get(n0);
    if (a === undefined) {
      done.set(n0, (a = materialize(pack(n0, p))));
      freeze(a);
    }
    return a;
  };
}

/** Run `perChunk` over batch chunks that keep packed sizes f32-exact; concatenates along N
 * (`copied`: as in overChannels, for the caller's copy, passed on or true when split here). */
function* overBatch(N: number, imageSize: number, perImage: number, copied: boolean, perChunk: (n0: number, n1: number, copied: boolean) => Program<Float32Array>): Program<Float32Array> {
  const chunks = batchChunks(N, perImage, TAIL);
  if (chunks.length === 1) return yield* perChunk(0, N, copied);
  const out = new Float32Array(N * imageSize);
  for (const [n0, n1] of chunks) out.set(yield* perChunk(n0, n1, true), n0 * imageSize);
  return out;
}

/** A convCore problem, whatever the direction (forward, backward-input, one stride phase). */
interface CoreProblem {
  /** Images, output channels, channel vectors per thread, output pixels per channel. */
  N: number; K: number; kb: number; pixels: number;
  /** The core of a batch chunk of N images and a group of K output channels. */
  core(N: number, K: number): Core;
  /** The packed input of the chunk starting at image n0. */
  pack(n0: number, p: Core): ArgWriter;
  /** The weights and the packed layout's kind (weight-cache.ts), and their [C][T][Kp]
   * packing for output channels [k0, k1) (tapWeights). */
  w: DataArray;
  kind: string;
  packWeights(Kp: number, range: [number, number]): Float32Array;
  bias: DataArray | null;
}

/** convCore over channel groups (channelGroups) and batch chunks (overBatch): [N][K][pixels]. */
function* coreLaunches(o: CoreProblem): Program<Float32Array> {
  const one = o.core(1, o.K);
  const groups = channelGroups(o.K, one.C, one.kh * one.kw, o.kb);
  const input = packedInputs(groups.length, o.pack);
  // every group's weights under one cache entry: one unchanged-weights check per call
  const Kps = groups.map(([k0, k1]) => roundUp(k1 - k0, 4 * o.kb));
  const packs = packedWeights(o.w, `${o.kind} ${o.kb} ${groups.length}`, () => groups.map((range, i) => o.packWeights(Kps[i]!, range)));
  return yield* overChannels(o.N, o.K, o.pixels, groups, function* (k0, k1, copied, group) {
    const wt = packs[group]!;
    const bias = o.bias === null ? null : o.bias.subarray(k0, k1);
    return yield* overBatch(o.N, (k1 - k0) * o.pixels, one.C * one.Hp * one.Wp, copied, function* (n0, n1, consumed) {
      const p = o.core(n1 - n0, k1 - k0);
      return yield* convCore(input(n0, p), wt, bias, p, consumed);
    });
  });
}

/** Row length that keeps every read of a PX-wide output block (and its taps) inside the row. */
const rowLength = (W: number, OW: number, sw: number, taps: number, dw: number, block = PX): number =>
  Math.max(W, (roundUp(OW, block) - 1) * sw + (taps - 1) * dw + 1);

/** Forward core with `px` output x and `kb` channel vectors per thread; `tapsX` = taps per
 * row the reads must cover (kw, or 4 groups in weightGrad), `block` = the output x a
 * thread's reads cover. */
function forwardCore(g: ConvGeom, N: number, px: number, kb = 1, tapsX = g.kw, block = px): Core {
  return {
    N, C: g.C, K: g.K, Hp: g.H + 2 * g.ph, Wp: rowLength(g.W + 2 * g.pw, g.OW, g.sw, tapsX, g.dw, block),
    kh: g.kh, kw: g.kw, sh: g.sh, sw: g.sw, dh: g.dh, dw: g.dw, OH: g.OH, OW: g.OW, px, kb,
  };
}

/** Input images [n0, n0+p.N) of [N,C,H,W] data, zero-padded into [N][C][Hp][Wp]. */
function packInput(src: DataArray, p: Core, n0: number, H: number, W: number, off: [number, number], step: [number, number]): ArgWriter {
  const img = p.C * H * W;
  return planesWriter(f32(src).subarray(n0 * img, (n0 + p.N) * img), {
    N: 1, C: p.N * p.C, H, W, offY: off[0], offX: off[1], stepY: step[0], stepX: step[1], Hq: p.Hp, Wq: p.Wp, tail: TAIL,
  });
}

const packForward = (x: DataArray, g: ConvGeom, p: Core, n0: number): ArgWriter =>
  packInput(x, p, n0, g.H, g.W, [g.ph, g.pw], [1, 1]);

/** `maxFloats`: the most floats a thread may return on the backend (gpu.ts maxComponents),
 * which picks the tile (tileFor). */
export function* conv2dForwardProgram(x: DataArray, w: DataArray, b: DataArray | null, g: ConvGeom, maxFloats = 4): Program<Float32Array> {
  const T = g.kh * g.kw;
  const { px, kb } = tileFor(g.K, maxFloats);
  return yield* coreLaunches({
    N: g.N, K: g.K, kb, pixels: g.OH * g.OW, bias: b,
    core: (N, K) => ({ ...forwardCore(g, N, px, kb), K }),
    pack: (n0, p) => packForward(x, g, p, n0),
    w, kind: `fwd ${g.K} ${g.C} ${T}`, packWeights: (Kp, range) => tapWeights(w, g.K, g.C, T, Kp, range),
  });
}

/** Backward-input as a stride-1 conv of the zero-inserted output gradient. */
function backwardCore(g: ConvGeom, N: number, px: number, kb = 1): Core {
  return {
    N, C: g.K, K: g.C, Hp: g.H + (g.kh - 1) * g.dh, Wp: rowLength(g.W + (g.kw - 1) * g.dw, g.W, 1, g.kw, g.dw, px),
    kh: g.kh, kw: g.kw, sh: 1, sw: 1, dh: g.dh, dw: g.dw, OH: g.H, OW: g.W, px, kb,
  };
}

/** The output positions r, r + s, r + 2s, ... of the input gradient along one axis (size L):
 * the taps i that reach them, (r + p - i d) divisible by s, largest i first; the offset e
 * in gy of the first one (gy position t + e feeds output r + s t) and the spacing of the
 * rest in gy. */
interface AxisPhase { r: number; T: number; taps: number[]; e: number; delta: number }

function axisPhases(L: number, k: number, s: number, p: number, d: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let r = 0; r < Math.min(s, L); r++) {
    const taps: number[] = [];
    for (let i = k - 1; i >= 0; i--) if ((((r + p - i * d) % s) + s) % s === 0) taps.push(i);
    const e = taps.length > 0 ? (r + p - taps[0]! * d) / s : 0;
    const delta = taps.length > 1 ? ((taps[0]! - taps[1]!) * d) / s : 1;
    phases.push({ r, T: Math.ceil((L - r) / s), taps, e, delta });
  }
  return phases;
}

/**
 * Backward-input of a strided conv, phase by phase: the input-gradient positions (r_y + s_y t,
 * r_x + s_x u) are a stride-1 correlation of gy itself with the taps that reach them
 * (`axisPhases`), so no work goes to the zeros a zero-inserted gy would hold (3/4 of it at
 * stride 2). Each phase is one convCore launch; the phases are interleaved on the host. The
 * nonzero products are added in the same order as in the zero-inserted form, so the sums
 * are the same, bit for bit (the zero products it adds change nothing but a zero's sign).
 */
function* phasedBackwardInput(gy: DataArray, w: DataArray, g: ConvGeom, maxFloats: number): Program<Float32Array> {
  const { px: wide, kb } = tileFor(g.C, maxFloats);
  const ys = axisPhases(g.H, g.kh, g.sh, g.ph, g.dh);
  const xs = axisPhases(g.W, g.kw, g.sw, g.pw, g.dw);
  const outs: Array<{ out: Float32Array; py: AxisPhase; px: AxisPhase }> = [];
  for (const py of ys)
    for (const px of xs) {
      const [My, Mx] = [py.taps.length, px.taps.length];
      if (My === 0 || Mx === 0 || py.T <= 0 || px.T <= 0) continue; // no tap reaches: zeros
      const T = My * Mx;
      // tap a * Mx + b of the phase is w's tap (py.taps[a], px.taps[b])
      const taps = { taps: Array.from({ length: T }, (_, t) => py.taps[Math.floor(t / Mx)]! * g.kw + px.taps[t % Mx]!), wT: g.kh * g.kw };
      const core = (N: number, K: number): Core => ({
        N, C: g.K, K, Hp: py.T + (My - 1) * py.delta, Wp: rowLength(px.T + (Mx - 1) * px.delta, px.T, 1, Mx, px.delta, wide),
        kh: My, kw: Mx, sh: 1, sw: 1, dh: py.delta, dw: px.delta, OH: py.T, OW: px.T, px: wide, kb,
      });
      const out = yield* coreLaunches({
        N: g.N, K: g.C, kb, pixels: py.T * px.T, bias: null, core,
        pack: (n0, p) => packInput(gy, p, n0, g.OH, g.OW, [-py.e, -px.e], [1, 1]),
        w, kind: `bwd ${g.K} ${g.C} ${g.kh} ${g.kw} phase ${py.taps.join(',')} ${px.taps.join(',')}`,
        packWeights: (Kp, range) => tapWeights(w, g.C, g.K, T, Kp, range, taps),
      });
      outs.push({ out, py, px });
    }
  // interleave: dx[n][c][r_y + s_y t][r_x + s_x u] = phase output [n][c][t][u]; zeros elsewhere
  const planes = g.N * g.C;
  const dx = new Float32Array(planes * g.H * g.W);
  const copier = stridedCopy();
  if (copier !== null) {
    const staged = copier.stageMany(outs.map((o) => o.out));
    const parts: Part[] = outs.map(({ py, px }, i) => ({
      from: staged[i]!, src0: 0, dst0: py.r * g.W + px.r,
      levels: [{ count: 1, src: 0, dst: 0 }, { count: planes, src: py.T * px.T, dst: g.H * g.W }, { count: py.T, src: px.T, dst: g.sh * g.W }, { count: px.T, src: 1, dst: g.sw }],
    }));
    copier.writeParts(parts, dx, 0, dx.length, 0);
    return dx;
  }
  for (const { out, py, px } of outs)
    for (let q = 0, o = 0; q < planes; q++)
      for (let t = 0; t < py.T; t++)
        for (let u = 0, d = (q * g.H + py.r + g.sh * t) * g.W + px.r; u < px.T; u++, d += g.sw) dx[d] = out[o++]!;
  return dx;
}

/** `maxFloats` as in conv2dForwardProgram. */
export function* conv2dBackwardInputProgram(gy: DataArray, w: DataArray, g: ConvGeom, maxFloats = 4): Program<Float32Array> {
  if (g.sh > 1 || g.sw > 1) return yield* phasedBackwardInput(gy, w, g, maxFloats);
  const { px, kb } = tileFor(g.C, maxFloats);
  // Transposed conv: zero-insert gy by the stride, pad by (k-1)*d - p, correlate with the
  // flipped weights with input and output channels swapped.
  const off: [number, number] = [(g.kh - 1) * g.dh - g.ph, (g.kw - 1) * g.dw - g.pw];
  const T = g.kh * g.kw;
  const flipped = { taps: Array.from({ length: T }, (_, t) => T - 1 - t), wT: T };
  return yield* coreLaunches({
    N: g.N, K: g.C, kb, pixels: g.H * g.W, bias: null,
    core: (N, K) => ({ ...backwardCore(g, N, px, kb), K }),
    pack: (n0, p) => packInput(gy, p, n0, g.OH, g.OW, off, [g.sh, g.sw]),
    w, kind: `bwd ${g.K} ${g.C} ${T}`, packWeights: (Kp, range) => tapWeights(w, g.C, g.K, T, Kp, range, flipped),
  });
}

/** Taps of a kernel row computed per thread (components), and groups of them per row. */
const tapGroups = (kw: number): { nj: number; JG: number } => ({ nj: Math.min(4, kw), JG: Math.ceil(kw / 4) });

/**
 * A weightGrad kernel: for each of the thread's kernel rows (`rows`: the row's offset in the
 * packed input, and the sum each of its taps feeds), over every (image, output row, block of
 * WU pixels): the WU output-gradient vectors, then each input column once, feeding every
 * (pixel, tap) pair that reads it. Each tap's products are summed in pixel order.
 */
function weightGradKernel(p: Core, WU: number, rowStart: string, rows: Array<{ off: number; taps: number[] }>, sums: number, ret: string[]): string {
  const Kp = roundUp(p.K, 4);
  const OWU = Math.ceil(p.OW / WU);
  const plane = p.Hp * p.Wp;
  let body = `const gq = gr + q * ${Kp};\n`;
  body += Array.from({ length: WU }, (_, u) => `const d${u} = g${u}[gq + this.thread.x];`).join('\n') + '\n';
  for (const { off, taps } of rows) {
    const uses = new Map<number, string[]>();
    for (let u = 0; u < WU; u++)
      taps.forEach((t, jj) => {
        const col = u * p.sw + jj * p.dw;
        if (!uses.has(col)) uses.set(col, []);
        uses.get(col)!.push(`a${t} += d${u} * v;`);
      });
    body += [...uses.keys()].sort((a, b) => a - b).map((col) => `v = x[(rb | 0) + ${off + col}];\n${uses.get(col)!.join(' ')}`).join('\n') + '\n';
  }
  return `function (x, ${Array.from({ length: WU }, (_, u) => `g${u}`).join(', ')}) {
  let rb = ${rowStart};
  ${Array.from({ length: sums }, (_, t) => `let a${t} = 0.0;`).join(' ')} let v = 0.0;
  for (let n = 0; n < ${p.N}; n++) {
    for (let oy = 0; oy < ${p.OH}; oy++) {
      const gr = (n * ${p.OH} + oy) * ${OWU * Kp};
      for (let q = 0; q < ${OWU}; q++) {
${body}
        rb = rb + ${WU * p.sw};
      }
      rb = rb + ${p.sh * p.Wp - OWU * WU * p.sw};
    }
    rb = rb + ${p.C * plane - p.OH * p.sh * p.Wp};
  }
  return [${ret.join(', ')}];
}`;
}

/** weightGrad by kernel row: thread.y = kernel row (and group of 4 taps when kw > 4), the
 * row's taps as components (few live values: no spills). */
function weightGradSource(p: Core): string {
  const { nj, JG } = tapGroups(p.kw);
  const rowStart = JG === 1
    ? `this.thread.y * ${p.dh * p.Wp}`
    : `Math.floor(this.thread.y / ${JG}) * ${p.dh * p.Wp} + (this.thread.y - Math.floor(this.thread.y / ${JG}) * ${JG}) * ${4 * p.dw}`;
  const ret = [0, 1, 2, 3].map((jj) => (jj < nj ? `a${jj}` : '0.0'));
  return weightGradKernel(p, wgradStep(p.OW), `this.thread.z * ${p.Hp * p.Wp} + ${rowStart}`, [{ off: 0, taps: Array.from({ length: nj }, (_, jj) => jj) }], 4, ret);
}

/**
 * weightGrad with every tap of the kernel in one thread (thread.y unused; T floats returned,
 * where the code generator stores wide returns): each output-gradient vector loaded feeds
 * all T taps instead of one row's, and each input column all the taps that read it. Every
 * tap sums the same products in the same order as weightGradSource (n, oy, block, pixel),
 * so the result is bitwise the same. One thread, CPU time: 64->64 dilated 16x16 11.8 ->
 * 14.5 GFLOP/s, 32->32 64x64 12.4 -> 13.9.
 */
function weightGradAllSource(p: Core): string {
  const T = p.kh * p.kw;
  const rows = Array.from({ length: p.kh }, (_, i) => ({ off: i * p.dh * p.Wp, taps: Array.from({ length: p.kw }, (_, j) => i * p.kw + j) }));
  return weightGradKernel(p, wgradStep(p.OW, true), `this.thread.z * ${p.Hp * p.Wp}`, rows, T, Array.from({ length: T }, (_, t) => `a${t}`));
}

/** gy [N,K,OH,OW] -> WU arrays by ox mod WU, each [N][OH][ceil(OW/WU)][Kp] (zeros past the edges). */
function splitGrad(gy: Float32Array, N: number, K: number, OH: number, OW: number, WU: number): ArgWriter[] {
  const Kp = roundUp(K, 4);
  const OWU = Math.ceil(OW / WU);
  const length = N * OH * OWU * Kp;
  const copier = stridedCopy();
  let staged: Staged | null = null; // the WU writers of a launch stage gy once
  return Array.from({ length: WU }, (_, u) => ({
    length,
    write(part: Float32Array, at: number): void {
      if (copier !== null) {
        // the loops below in WebAssembly (wasm-copy.ts), channels innermost
        staged = copier.stage(gy, staged);
        const levels: [Level, Level, Level, Level] = [
          { count: N, src: K * OH * OW, dst: OH * OWU * Kp }, { count: OH, src: OW, dst: OWU * Kp },
          { count: Math.ceil((OW - u) / WU), src: WU, dst: Kp }, { count: K, src: OH * OW, dst: 1 },
        ];
        copier.write(staged, u, levels, part, at, length, 0, 0);
        return;
      }
      if (K < Kp || u + (OWU - 1) * WU >= OW) part.fill(0, at, at + length);
      for (let n = 0; n < N; n++)
        for (let k = 0; k < K; k++)
          for (let oy = 0; oy < OH; oy++) {
            const s = ((n * K + k) * OH + oy) * OW;
            for (let ox = u, q = at + (n * OH + oy) * OWU * Kp + k; ox < OW; ox += WU, q += Kp) part[q] = gy[s + ox]!;
          }
    },
  }));
}

/** `maxFloats`: the most floats a thread may return on the backend (gpu.ts maxComponents):
 * where a kernel's 5-16 taps fit, one thread computes them all (weightGradAllSource). */
export function* conv2dBackwardWeightProgram(gy: DataArray, x: DataArray, g: ConvGeom, maxFloats = 4): Program<Float32Array> {
  const T = g.kh * g.kw;
  const Kp = roundUp(g.K, 4);
  const { nj, JG } = tapGroups(g.kw);
  const allTaps = T > 4 && T <= maxFloats && JG === 1;
  const WU = wgradStep(g.OW, allTaps);
  const gw = new Float32Array(g.K * g.C * T);
  const wide = (N: number): Core => forwardCore(g, N, PX, 1, JG * 4 > g.kw && JG > 1 ? JG * 4 : g.kw, WU);
  const one = wide(1);
  const OWU = Math.ceil(g.OW / WU);
  const rows = g.kh * JG;
  for (const [n0, n1] of batchChunks(g.N, Math.max(g.C * one.Hp * one.Wp, g.OH * OWU * Kp), TAIL)) {
    const p = wide(n1 - n0);
    const img = g.K * g.OH * g.OW;
    const G = splitGrad(f32(gy).subarray(n0 * img, n1 * img), p.N, g.K, g.OH, g.OW, WU);
    if (allTaps) {
      const r = yield { source: memoSource('wgrad-all', p, 0, () => weightGradAllSource(p)), output: [Kp, 1, g.C], args: [packForward(x, g, p, n0), ...G], components: T, cost: Kp * g.C * T * p.N * g.OH * OWU * WU, transient: true };
      for (let c = 0; c < g.C; c++)
        for (let k = 0; k < g.K; k++) {
          const src = (c * Kp + k) * T;
          const d = (k * g.C + c) * T;
          for (let t = 0; t < T; t++) gw[d + t] += r[src + t]!;
        }
      continue;
    }
    const r = yield { source: memoSource('wgrad', p, 0, () => weightGradSource(p)), output: [Kp, rows, g.C], args: [packForward(x, g, p, n0), ...G], components: 4, cost: Kp * rows * g.C * nj * p.N * g.OH * OWU * WU, transient: true };
    for (let c = 0; c < g.C; c++)
      for (let y = 0; y < rows; y++) {
        const i = Math.floor(y / JG);
        const j0 = (y - i * JG) * 4;
        for (let k = 0; k < g.K; k++) {
          const s = ((c * rows + y) * Kp + k) * 4;
          const d = ((k * g.C + c) * g.kh + i) * g.kw + j0;
          for (let jj = 0; jj < nj && j0 + jj < g.kw; jj++) gw[d + jj] += r[s + jj]!;
        }
      }
  }
  return gw;
}

/** Whether one image fits the f32-exact index range (else the reference path runs). */
export function convFits(g: ConvGeom): boolean {
  const { JG } = tapGroups(g.kw);
  const fwd = forwardCore(g, 1, MAX_PX, 1, JG > 1 ? JG * 4 : g.kw, Math.max(MAX_PX, wgradStep(g.OW)));
  const back = backwardCore(g, 1, MAX_PX);
  const Kp = roundUp(Math.max(g.K, g.C), 8);
  return Math.max(g.C * fwd.Hp * fwd.Wp, g.K * back.Hp * back.Wp, g.OH * Math.ceil(g.OW / Math.min(PX, wgradStep(g.OW))) * Kp, g.C * Kp * g.kh * g.kw) + TAIL < F32_EXACT / 2;
}

export function convKernels(mode: GpuMode): ConvKernels {
  const floats = maxComponents(mode);
  return {
    forward: (x, w, b, g) => runSync(mode, conv2dForwardProgram(x, w, b, g, floats)),
    backwardInput: (gy, w, g) => runSync(mode, conv2dBackwardInputProgram(gy, w, g, floats)),
    backwardWeight: (gy, x, g) => runSync(mode, conv2dBackwardWeightProgram(gy, x, g, floats)),
  };
}
