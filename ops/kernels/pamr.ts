/**
 * gpu.js PAMR kernels (docs/method.md#pamr). Image and mask planes are padded by
 * replication once per use, so every neighbour read is an unclamped offset from the pixel.
 * Affinity = two launches (std, then the logits a(p,j)) and their softmax over j on the host;
 * each propagation step is one launch over every mask plane of the batch. Mask planes carry their image's index, so one launch refines
 * images with different channel counts (the pseudo-masks of a batch of images).
 */
import type { DataArray } from '../../lib/core/precision.js';
import type { PamrGeom } from '../reference/pamr.js';
import type { GpuMode } from './gpu.js';
import { F32_EXACT, f32, freeze, type ArgWriter, type Program } from './program.js';
import { runSync } from './run.js';

export interface PamrKernels {
  affinity(image: DataArray, g: PamrGeom): DataArray;
  /** T propagation steps of mask planes [P,H,W]; plane p belongs to image planeImage[p]. */
  propagate(mask: DataArray, alpha: DataArray, planeImage: ArrayLike<number>, iterations: number, g: PamrGeom): DataArray;
}

/** Padding and padded sizes: P covers the largest offset. */
function layout(g: Pick<PamrGeom, 'H' | 'W' | 'dy' | 'dx'>) {
  let P = 0;
  for (let j = 0; j < g.dy.length; j++) P = Math.max(P, Math.abs(g.dy[j]!), Math.abs(g.dx[j]!));
  const Hp = g.H + 2 * P;
  const Wp = g.W + 2 * P;
  const HW = g.H * g.W;
  // alpha planes for propagation: a stride that is no multiple of 4 KiB (64x64 planes are
  // 16 KiB), else the J reads of a pixel map to one L1 set and evict each other (measured
  // 0.53 -> 0.28 ms for a 3-plane 64x64 step)
  return { P, Hp, Wp, HpWp: Hp * Wp, HW, J: g.dy.length, S: Math.ceil(HW / 16) * 16 + 16 };
}

type Layout = ReturnType<typeof layout>;

/** Offset of neighbour j from the centre in a padded plane. */
const offset = (g: PamrGeom, L: Layout, j: number): number => g.dy[j]! * L.Wp + g.dx[j]!;

/** Padded-plane index of this thread's row start (add this.thread.x for the pixel): an
 * int32 expression of a plane base, uniform over the SIMD lanes, so reads at a constant
 * offset from it plus this.thread.x are single wide loads on webasm. */
const rowStart = (L: Layout, plane: string): string => `${plane} + (this.thread.y + ${L.P}) * ${L.Wp} + ${L.P}`;

/** [planes][H][W] -> [planes][H+2P][W+2P] with replicated borders (index clamping), written
 * straight into the kernel's argument memory. */
function padWriter(src: Float32Array, planes: number, H: number, W: number, P: number, tail = 0): ArgWriter {
  const Hp = H + 2 * P;
  const Wp = W + 2 * P;
  return {
    length: planes * Hp * Wp + tail,
    write(out, at) {
      for (let p = 0; p < planes; p++) {
        const d0 = at + p * Hp * Wp;
        for (let y = 0; y < H; y++) {
          const s = (p * H + y) * W;
          const d = d0 + (y + P) * Wp;
          out.fill(src[s]!, d, d + P);
          out.set(src.subarray(s, s + W), d + P);
          out.fill(src[s + W - 1]!, d + P + W, d + Wp);
        }
        // rows above and below repeat the first and last padded rows
        for (let y = 0; y < P; y++) {
          out.copyWithin(d0 + y * Wp, d0 + P * Wp, d0 + (P + 1) * Wp);
          out.copyWithin(d0 + (P + H + y) * Wp, d0 + (P + H - 1) * Wp, d0 + (P + H) * Wp);
        }
      }
      out.fill(0, at + planes * Hp * Wp, at + planes * Hp * Wp + tail);
    },
  };
}

/** Kernel sources by geometry: spelling out every tap costs more than some launches. */
const sources = new Map<string, string[]>();

function memo(key: string, make: () => string[]): string[] {
  let v = sources.get(key);
  if (v === undefined) {
    if (sources.size >= 32) sources.delete(sources.keys().next().value!);
    sources.set(key, (v = make()));
  }
  return v;
}

/** The std and logit kernels of a geometry. */
function affinitySources(g: PamrGeom, L: Layout): string[] {
  const { K, W, D } = g;
  const { J, HW, HpWp } = L;
  // sigma[n,k,p]: unbiased std of the 9|D| taps (centre counted D times)
  const taps = 9 * D;
  let sumTaps = '';
  let ssTaps = '';
  for (let j = 0; j < J; j++) {
    sumTaps += `s += x[xb + ${offset(g, L, j)} + this.thread.x];\n`;
    ssTaps += `d = x[xb + ${offset(g, L, j)} + this.thread.x] - mean; ss += d * d;\n`;
  }
  const sigma = `function (x) {
  const xb = ${rowStart(L, `this.thread.z * ${HpWp}`)};
  const c0 = x[xb + this.thread.x];
  let s = ${D} * c0; let d = 0.0;
  ${sumTaps}
  const mean = s / ${taps};
  let ss = ${D} * (c0 - mean) * (c0 - mean);
  ${ssTaps}
  return Math.sqrt(ss / ${taps - 1});
}`;
  // a(p,j) = -sum_k |x_k(p) - x_k(p + o_j)| / (K (1e-8 + 0.1 sigma_k(p))), one (n, j) per thread.z
  // The (negative) offset stays a float local, truncated inside each index: on WebGL a local
  // declared as `offs[..] | 0` gave wrong reads (the playground's WebGL agreement check caught it).
  let aBody = '';
  for (let k = 0; k < K; k++)
    aBody += `a -= Math.abs(x[xb + ${k * HpWp} + this.thread.x] - x[xb + ${k * HpWp} + (off | 0) + this.thread.x]) / (${K * 1e-8} + ${0.1 * K} * sg[sb + ${k * HW} + this.thread.x]);\n`;
  const logits = `function (x, sg, offs) {
  const n = Math.floor(this.thread.z / ${J});
  const off = offs[this.thread.z - n * ${J}];
  const xb = ${rowStart(L, `n * ${K * HpWp}`)};
  const sb = n * ${K * HW} + this.thread.y * ${W};
  let a = 0.0;
  ${aBody}
  return a;
}`;
  return [sigma, logits];
}

const geomKey = (g: PamrGeom): string => `${g.N} ${g.K} ${g.H} ${g.W} ${g.D} ${g.dy.join(',')} ${g.dx.join(',')}`;

function* affinityProgram(img: Float32Array, g: PamrGeom): Program<Float32Array> {
  const L = layout(g);
  const { N, K, H, W } = g;
  const { J, HW } = L;
  const [sigmaSource, logitSource] = memo(`a ${geomKey(g)}`, () => affinitySources(g, L));
  const X = padWriter(img, N * K, H, W, L.P);
  const out = [W, H];
  const sigma = yield { source: sigmaSource!, output: [...out, N * K], args: [X], components: 1, cost: HW * N * K * 2 * J };
  const offs = Float32Array.from({ length: J }, (_, j) => offset(g, L, j));
  const a = yield { source: logitSource!, output: [...out, N * J], args: [X, sigma, offs], components: 1, cost: HW * N * J * K * 4 };
  return softmaxOverNeighbours(a, N, J, HW);
}

/**
 * alpha = softmax over j of a [N,J,HW], in float32 as the kernels would compute it (max,
 * exp(a - max), sum in j order, divide), on the host: a kernel's Math.exp is a call out of
 * the module per lane (~50 ns on webasm), Math.exp here ~15 ns.
 */
function softmaxOverNeighbours(a: Float32Array, N: number, J: number, HW: number): Float32Array {
  const alpha = new Float32Array(a.length);
  const m = new Float32Array(HW);
  const z = new Float32Array(HW);
  const fr = Math.fround;
  for (let n = 0; n < N; n++) {
    const b = n * J * HW;
    m.fill(-Infinity);
    for (let j = 0; j < J; j++)
      for (let p = 0, i = b + j * HW; p < HW; p++, i++) if (a[i]! > m[p]!) m[p] = a[i]!;
    z.fill(0);
    for (let j = 0; j < J; j++)
      for (let p = 0, i = b + j * HW; p < HW; p++, i++) {
        const d = fr(a[i]! - m[p]!);
        // below -150 ln 2 the float32 exponential is 0 (exactly what rounding exp(d) gives)
        const e = d < -104 ? 0 : fr(Math.exp(d));
        alpha[i] = e;
        z[p] = fr(z[p]! + e);
      }
    for (let j = 0; j < J; j++)
      for (let p = 0, i = b + j * HW; p < HW; p++, i++) alpha[i] = fr(alpha[i]! / z[p]!);
  }
  return alpha;
}

/** T steps over mask planes [P,H,W]; `alpha` [n][J][S] (planes at stride L.S), `alphaBase[p]` = J*S * (plane p's image). */
function* propagateProgram(mask: Float32Array, alpha: Float32Array, alphaBase: Float32Array, iterations: number, g: PamrGeom): Program<Float32Array> {
  const L = layout(g);
  const { H, W } = g;
  const { J, HW, HpWp, S } = L;
  const planes = alphaBase.length;
  const [source] = memo(`p ${geomKey(g)}`, () => {
    let body = '';
    for (let j = 0; j < J; j++) body += `acc += al[ab + ${j * S} + this.thread.x] * m[mb + ${offset(g, L, j)} + this.thread.x];\n`;
    return [`function (m, al, base) {
  const ab = (base[this.thread.z] | 0) + this.thread.y * ${W};
  const mb = ${rowStart(L, `this.thread.z * ${HpWp}`)};
  let acc = 0.0;
  ${body}
  return acc;
}`];
  });
  // the affinities stay the same for every step: a module that holds them skips the copy
  freeze(alpha);
  let cur = mask;
  for (let t = 0; t < iterations; t++)
    cur = yield { source: source!, output: [W, H, planes], args: [padWriter(cur, planes, H, W, L.P), alpha, alphaBase], components: 1, cost: HW * planes * J };
  return cur;
}

/** Floats per launch (index range) an image's share must fit: f32 locals are exact below 2^24. */
const LIMIT = F32_EXACT / 2;

export function pamrFits(g: PamrGeom, C: number): boolean {
  const L = layout(g);
  return Math.max(L.J * L.S, Math.max(g.K, C) * L.HpWp) < LIMIT;
}

/** Images [n0, n1) per launch so that every f32 index stays exact: `planes(n)` mask planes
 * of image n, `K` image channels. */
function imageChunks(g: PamrGeom, planes: (n: number) => number): Array<[number, number]> {
  const L = layout(g);
  const chunks: Array<[number, number]> = [];
  for (let n0 = 0; n0 < g.N; ) {
    let n1 = n0 + 1;
    let p = planes(n0);
    while (n1 < g.N && (n1 + 1 - n0) * Math.max(L.J * L.S, g.K * L.HpWp) < LIMIT && (p + planes(n1)) * L.HpWp < LIMIT) p += planes(n1++);
    chunks.push([n0, n1]);
    n0 = n1;
  }
  return chunks;
}

/** alpha [N, J, H, W] for a whole batch. */
export function* affinityProgramChunked(image: DataArray, g: PamrGeom): Program<Float32Array> {
  const img = f32(image);
  const per = g.K * g.H * g.W;
  const chunks = imageChunks(g, () => 1);
  if (chunks.length === 1) return yield* affinityProgram(img, g);
  const perOut = g.dy.length * g.H * g.W;
  const out = new Float32Array(g.N * perOut);
  for (const [n0, n1] of chunks) out.set(yield* affinityProgram(img.subarray(n0 * per, n1 * per), { ...g, N: n1 - n0 }), n0 * perOut);
  return out;
}

/** T propagation steps of mask planes [P,H,W] of a whole batch, plane p of image planeImage[p]
 * (non-decreasing: an image's planes are consecutive). */
export function* propagatePlanesProgram(mask: DataArray, alpha: DataArray, planeImage: ArrayLike<number>, iterations: number, g: PamrGeom): Program<Float32Array> {
  const m = f32(mask);
  const a = f32(alpha);
  const { HW, J, S } = layout(g);
  const P = planeImage.length;
  const count = new Int32Array(g.N);
  for (let p = 0; p < P; p++) count[planeImage[p]!]!++;
  const first = new Int32Array(g.N + 1);
  for (let n = 0; n < g.N; n++) first[n + 1] = first[n]! + count[n]!;
  const out = new Float32Array(P * HW);
  for (const [n0, n1] of imageChunks(g, (n) => count[n]!)) {
    const [p0, p1] = [first[n0]!, first[n1]!];
    if (p1 === p0) continue;
    const strided = new Float32Array((n1 - n0) * J * S);
    for (let q = 0; q < (n1 - n0) * J; q++) strided.set(a.subarray((n0 * J + q) * HW, (n0 * J + q + 1) * HW), q * S);
    const base = Float32Array.from({ length: p1 - p0 }, (_, i) => (planeImage[p0 + i]! - n0) * J * S);
    const r = yield* propagateProgram(m.subarray(p0 * HW, p1 * HW), strided, base, iterations, { ...g, N: n1 - n0 });
    out.set(r, p0 * HW);
  }
  return out;
}

/** T propagation steps of a C-channel mask [N,C,H,W]. */
export function propagateProgramChunked(mask: DataArray, alpha: DataArray, C: number, iterations: number, g: PamrGeom): Program<Float32Array> {
  return propagatePlanesProgram(mask, alpha, Array.from({ length: g.N * C }, (_, p) => Math.floor(p / C)), iterations, g);
}

export function pamrKernels(mode: GpuMode): PamrKernels {
  return {
    affinity: (image, g) => runSync(mode, affinityProgramChunked(image, g)),
    propagate: (mask, alpha, planeImage, iterations, g) => runSync(mode, propagatePlanesProgram(mask, alpha, planeImage, iterations, g)),
  };
}
