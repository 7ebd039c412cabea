/**
 * The BatchNorm kernels of the `webasm` backend, hand-assembled in WebAssembly SIMD: the
 * same steps as the gpu.js kernels (batchnorm.ts), computed with the same float32
 * operations in the same order, so the results are bitwise theirs (spec/ops/batchnorm.test.ts
 * compares them on many sizes). gpu.js spends ~4-7 ns per 4 cells of an elementwise kernel
 * on thread bookkeeping (thread ids by division, a call, index checks per load), several
 * times what the arithmetic costs; here a plane is one loop of v128 loads and stores.
 *  - reductions: a plane whose size is a multiple of 4 is summed as 4 interleaved float32
 *    partials (lane j: elements j, j+4, ...), the gpu.js kernels' quarters, and the host
 *    combines them with the same code; other planes are summed sequentially in float32.
 *  - elementwise: per plane, v128 along the plane, the last size % 4 elements scalar.
 * Arguments are copied into the module's memory and results copied out (fresh arrays), as
 * the gpu.js kernels do. Without WebAssembly SIMD `batchNormWasm()` is null and the gpu.js
 * kernels run (docs/architecture.md#backends).
 */
import type { DataArray } from '../../lib/core/precision.js';
import { combineQuarters, pairs, sumQuarters, type BatchNormKernels } from './batchnorm.js';
import { F32, I32, V128, addTo as addLocal, countdown, get, i32c, set, tee, uleb, wasmModule } from './wasm-asm.js';

// ---- instruction bytes beyond wasm-asm.ts's ----

const f32zero = [0x43, 0, 0, 0, 0];
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const op = {
  i32Add: [0x6a], i32Sub: [0x6b], i32Mul: [0x6c], i32Shl: [0x74], i32ShrU: [0x76], i32And: [0x71], i32Eqz: [0x45],
  f32Load: [0x2a, 2, 0], f32Store: [0x38, 2, 0], f32Add: [0x92], f32Sub: [0x93], f32Mul: [0x94], f32Div: [0x95], f32Gt: [0x5e],
  f32FromI32: [0xb3], // f32.convert_i32_s
  select: [0x1b],
  vLoad: simd(0x00, 0, 0), vStore: simd(0x0b, 0, 0), vSplat: simd(0x13), vAnd: simd(0x4e),
  vGt: simd(0x44), vAdd: simd(0xe4), vSub: simd(0xe5), vMul: simd(0xe6), vDiv: simd(0xe7),
};
const lane = (j: number): number[] => simd(0x1f, j); // f32x4.extract_lane
/** local l += n. */
const addTo = (l: number, n: number): number[] => addLocal(l, i32c(n));

/** Every function takes 10 i32 parameters (byte offsets and counts; unused ones are 0). */
const PARAMS = 10;
// locals after the parameters: i32 scratch, f32 scalars, v128 vectors (all start at 0)
const [C, Q, T, BASE, PB, G] = [10, 11, 12, 13, 14, 15];
/** Per plane of a group (planes reduced side by side, `groups`): pointers into x. */
const PX = [16, 17, 18, 19];
const [FA, FB, FC, FS, FT] = [20, 21, 22, 23, 24];
const four = (l: number): number[] => [l, l + 1, l + 2, l + 3];
/** Per plane of a group: the two sums and the mean, scalar (planes of any size) and lanes. */
const [FS1, FS2, FM] = [25, 29, 33].map(four) as [number[], number[], number[]];
const [VA, VB, VC, VS, VT, VZ] = [37, 38, 39, 40, 41, 42]; // VZ stays 0
const [VS1, VS2, VM] = [43, 47, 51].map(four) as [number[], number[], number[]];
/** The local declarations: 10 i32 (10-19), 17 f32 (20-36), 18 v128 (37-54). */
const LOCALS = [3, 10, I32, 17, F32, 18, V128];

/**
 * for each of `planes` planes: `head` (per-plane factors), then the plane's quads (`quad`,
 * then every pointer in `ptrs` advances 16 bytes) and its last plane % 4 elements (`one`,
 * pointers advance 4 bytes), then `tail`. `planes` and `plane` are locals.
 */
function planeLoop(planes: number, plane: number, ptrs: number[], head: number[], quad: number[], one: number[], tail: number[] = []): number[] {
  const advance = (n: number): number[] => ptrs.flatMap((p) => addTo(p, n));
  return [
    ...get(plane), ...i32c(2), ...op.i32ShrU, ...set(Q),
    ...get(plane), ...i32c(3), ...op.i32And, ...set(T),
    ...countdown(planes, [
      ...head,
      ...get(Q), ...set(C), ...countdown(C, [...quad, ...advance(16)]),
      ...get(T), ...set(C), ...countdown(C, [...one, ...advance(4)]),
      ...tail,
    ]),
  ];
}

/** Load the f32 at pointer local p into scalar f, splat it into vector v, advance p. */
const factor = (p: number, f: number, v: number): number[] => [...get(p), ...op.f32Load, ...tee(f), ...op.vSplat, ...set(v), ...addTo(p, 4)];

/** ReLU of the value on the stack: `v > 0 ? v : 0` (0 for NaN and -0, as the kernels). */
const vRelu = (tmp: number): number[] => [...tee(tmp), ...get(tmp), ...get(VZ), ...op.vGt, ...op.vAnd];
const fRelu = (tmp: number): number[] => [...tee(tmp), ...f32zero, ...get(tmp), ...f32zero, ...op.f32Gt, ...op.select];
/** The masked gradient gz = y > 0 ? g : 0 from pointers g and y. */
const vMasked = (g: number, y: number): number[] => [...get(g), ...op.vLoad, ...get(y), ...op.vLoad, ...get(VZ), ...op.vGt, ...op.vAnd];
const fMasked = (g: number, y: number): number[] => [...get(g), ...op.f32Load, ...f32zero, ...get(y), ...op.f32Load, ...f32zero, ...op.f32Gt, ...op.select];
const vGz = (relu: boolean, g: number, y: number): number[] => (relu ? vMasked(g, y) : [...get(g), ...op.vLoad]);
const fGz = (relu: boolean, g: number, y: number): number[] => (relu ? fMasked(g, y) : [...get(g), ...op.f32Load]);

/** affine(x, scale, shift, r, out, planes, plane): out = x * scale + shift (+ r), (ReLU). */
function affineFn(relu: boolean, residual: boolean): number[] {
  const [x, s, b, r, out, planes, plane] = [0, 1, 2, 3, 4, 5, 6];
  return planeLoop(planes, plane, residual ? [x, r, out] : [x, out], [...factor(s, FA, VA), ...factor(b, FB, VB)],
    [...get(out), ...get(x), ...op.vLoad, ...get(VA), ...op.vMul, ...get(VB), ...op.vAdd,
      ...(residual ? [...get(r), ...op.vLoad, ...op.vAdd] : []), ...(relu ? vRelu(VT) : []), ...op.vStore],
    [...get(out), ...get(x), ...op.f32Load, ...get(FA), ...op.f32Mul, ...get(FB), ...op.f32Add,
      ...(residual ? [...get(r), ...op.f32Load, ...op.f32Add] : []), ...(relu ? fRelu(FT) : []), ...op.f32Store]);
}

/** maskedGrad(g, y, out, n): out = y > 0 ? g : 0. */
function maskedFn(): number[] {
  const [g, y, out, n] = [0, 1, 2, 3];
  return [...i32c(1), ...set(BASE),
    ...planeLoop(BASE, n, [g, y, out], [], [...get(out), ...vMasked(g, y), ...op.vStore], [...get(out), ...fMasked(g, y), ...op.f32Store])];
}

/** inputGrad(g, y, x, k1, k2, k3, out, planes, plane, out2): out = k1 gz + k2 x + k3; when
 * `both`, out2 = gz (the ReLU-masked g) too. */
function inputGradFn(relu: boolean, both: boolean): number[] {
  const [g, y, x, k1, k2, k3, out, planes, plane, out2] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const vDx = (gz: number[]): number[] => [...get(out), ...get(VA), ...gz, ...op.vMul, ...get(VB), ...get(x), ...op.vLoad, ...op.vMul, ...op.vAdd, ...get(VC), ...op.vAdd, ...op.vStore];
  const fDx = (gz: number[]): number[] => [...get(out), ...get(FA), ...gz, ...op.f32Mul, ...get(FB), ...get(x), ...op.f32Load, ...op.f32Mul, ...op.f32Add, ...get(FC), ...op.f32Add, ...op.f32Store];
  const quad = both ? [...get(out2), ...vGz(relu, g, y), ...tee(VT), ...op.vStore, ...vDx(get(VT))] : vDx(vGz(relu, g, y));
  const one = both ? [...get(out2), ...fGz(relu, g, y), ...tee(FT), ...op.f32Store, ...fDx(get(FT))] : fDx(fGz(relu, g, y));
  return planeLoop(planes, plane, [g, ...(relu ? [y] : []), x, out, ...(both ? [out2] : [])],
    [...factor(k1, FA, VA), ...factor(k2, FB, VB), ...factor(k3, FC, VC)], quad, one);
}

/**
 * Per plane of a plane size that is a multiple of 4, the 4 lanes' float32 partials [a, b]
 * stored as the gpu.js kernels' result (lane j of plane p at floats (4p + j) * 4, + 1).
 */
const storeLanes = (out: number, a: number, b: number): number[] => [
  ...[0, 1, 2, 3].flatMap((j) => [...get(out), ...get(a), ...lane(j), 0x38, 2, 16 * j, ...get(out), ...get(b), ...lane(j), 0x38, 2, 16 * j + 4]),
  ...addTo(out, 64),
];

/**
 * Planes reduced side by side in groups (of `size`, 2 or 4): each plane keeps its own
 * accumulators and adds in its own order (the results are those of one plane at a time), but
 * the planes' chains of dependent adds overlap, where one plane alone waits on each add's
 * latency (the moments, 4 planes side by side: 80 -> 48 us for 128 planes of 1024, 633 ->
 * 338 us for 256 planes of 33x33; the gradient sums, two independent chains a plane already,
 * gained nothing). Code for `size` planes, then for the remaining planes one at a time.
 */
const groups = (planes: number, size: 2 | 4, group: (K: number) => number[]): number[] => [
  ...get(planes), ...i32c(size >> 1), ...op.i32ShrU, ...set(G), ...countdown(G, group(size)),
  ...get(planes), ...i32c(size - 1), ...op.i32And, ...set(G), ...countdown(G, group(1)),
];

/** Pointers ps[k] = base + k * plane bytes, k < K. */
const spread = (base: number, ps: number[], K: number): number[] =>
  [...get(base), ...set(ps[0]!), ...ps.slice(1, K).flatMap((p, k) => [...get(ps[k]!), ...get(PB), ...op.i32Add, ...set(p)])];

/** momentsQuarters(x, out, planes, plane): per plane, the lane sums s, mean m = s / (plane / 4),
 * then the lane's squared deviations from m: a second pass over the plane. */
function momentsQuartersFn(): number[] {
  const [x, out, planes, plane] = [0, 1, 2, 3];
  const ks = (K: number): number[] => [...Array(K).keys()];
  const group = (K: number): number[] => [
    ...spread(x, PX, K),
    ...ks(K).flatMap((k) => [...get(VZ), ...set(VS1[k]!), ...get(VZ), ...set(VS2[k]!)]),
    ...get(Q), ...set(C), ...countdown(C, ks(K).flatMap((k) => [...get(VS1[k]!), ...get(PX[k]!), ...op.vLoad, ...op.vAdd, ...set(VS1[k]!), ...addTo(PX[k]!, 16)])),
    ...ks(K).flatMap((k) => [...get(VS1[k]!), ...get(VC), ...op.vDiv, ...set(VM[k]!)]),
    ...spread(x, PX, K),
    ...get(Q), ...set(C), ...countdown(C, ks(K).flatMap((k) => [
      ...get(VS2[k]!), ...get(PX[k]!), ...op.vLoad, ...get(VM[k]!), ...op.vSub, ...tee(VB), ...get(VB), ...op.vMul, ...op.vAdd, ...set(VS2[k]!), ...addTo(PX[k]!, 16)])),
    ...ks(K).flatMap((k) => storeLanes(out, VS1[k]!, VS2[k]!)),
    ...get(PX[K - 1]!), ...set(x),
  ];
  return [
    ...get(plane), ...i32c(2), ...op.i32ShrU, ...set(Q),
    ...get(plane), ...i32c(2), ...op.i32Shl, ...set(PB),
    ...get(Q), ...op.f32FromI32, ...op.vSplat, ...set(VC),
    ...groups(planes, 4, group),
  ];
}

/** momentsPlain(x, out, planes, plane): per plane (any size) sequential float32 sums s, mean
 * m = s / plane, the squared deviations from m, stored [s, m2] at floats 4p, 4p + 1. */
function momentsPlainFn(): number[] {
  const [x, out, planes, plane] = [0, 1, 2, 3];
  const ks = (K: number): number[] => [...Array(K).keys()];
  const group = (K: number): number[] => [
    ...spread(x, PX, K),
    ...ks(K).flatMap((k) => [...f32zero, ...set(FS1[k]!), ...f32zero, ...set(FS2[k]!)]),
    ...get(plane), ...set(C), ...countdown(C, ks(K).flatMap((k) => [...get(FS1[k]!), ...get(PX[k]!), ...op.f32Load, ...op.f32Add, ...set(FS1[k]!), ...addTo(PX[k]!, 4)])),
    ...ks(K).flatMap((k) => [...get(FS1[k]!), ...get(FC), ...op.f32Div, ...set(FM[k]!)]),
    ...spread(x, PX, K),
    ...get(plane), ...set(C), ...countdown(C, ks(K).flatMap((k) => [
      ...get(FS2[k]!), ...get(PX[k]!), ...op.f32Load, ...get(FM[k]!), ...op.f32Sub, ...tee(FB), ...get(FB), ...op.f32Mul, ...op.f32Add, ...set(FS2[k]!), ...addTo(PX[k]!, 4)])),
    ...ks(K).flatMap((k) => [...get(out), ...get(FS1[k]!), ...op.f32Store, ...get(out), ...get(FS2[k]!), 0x38, 2, 4, ...addTo(out, 16)]),
    ...get(PX[K - 1]!), ...set(x),
  ];
  return [
    ...get(plane), ...i32c(2), ...op.i32Shl, ...set(PB),
    ...get(plane), ...op.f32FromI32, ...set(FC),
    ...groups(planes, 4, group),
  ];
}

/** gradSums(g, y, x, mean, out, planes, plane): per plane sg += gz, sgx += gz * (x - mean);
 * 4 lane partials (`quarters`) or sequential, stored as the moments. */
function gradSumsFn(relu: boolean, quarters: boolean): number[] {
  const [g, y, x, mean, out, planes, plane] = [0, 1, 2, 3, 4, 5, 6];
  const ptrs = [g, ...(relu ? [y] : []), x];
  const step = quarters ? 16 : 4;
  const body = quarters
    ? [...get(VS), ...vGz(relu, g, y), ...tee(VB), ...op.vAdd, ...set(VS), ...get(VT), ...get(VB), ...get(x), ...op.vLoad, ...get(VA), ...op.vSub, ...op.vMul, ...op.vAdd, ...set(VT)]
    : [...get(FS), ...fGz(relu, g, y), ...tee(FB), ...op.f32Add, ...set(FS), ...get(FT), ...get(FB), ...get(x), ...op.f32Load, ...get(FA), ...op.f32Sub, ...op.f32Mul, ...op.f32Add, ...set(FT)];
  return [
    ...get(plane), ...(quarters ? [...i32c(2), ...op.i32ShrU] : []), ...set(Q),
    ...countdown(planes, [
      ...(quarters ? [...factor(mean, FA, VA), ...get(VZ), ...set(VS), ...get(VZ), ...set(VT)] : [...factor(mean, FA, VA), ...f32zero, ...set(FS), ...f32zero, ...set(FT)]),
      ...get(Q), ...set(C), ...countdown(C, [...body, ...ptrs.flatMap((p) => addTo(p, step))]),
      ...(quarters ? storeLanes(out, VS, VT) : [...get(out), ...get(FS), ...op.f32Store, ...get(out), ...get(FT), 0x38, 2, 4, ...addTo(out, 16)]),
    ]),
  ];
}

const FUNCTIONS: [string, () => number[]][] = [
  ...[false, true].flatMap((relu) => [false, true].map((res): [string, () => number[]] => [`affine${+relu}${+res}`, () => affineFn(relu, res)])),
  ['masked', maskedFn],
  ['inputGrad0', () => inputGradFn(false, false)],
  ['inputGrad1', () => inputGradFn(true, false)],
  ['inputAndMasked', () => inputGradFn(true, true)],
  ['momentsQ', momentsQuartersFn],
  ['momentsP', momentsPlainFn],
  ...[false, true].flatMap((relu) => [false, true].map((q): [string, () => number[]] => [`gradSums${+relu}${+q}`, () => gradSumsFn(relu, q)])),
];

const moduleBytes = (): Uint8Array<ArrayBuffer> => wasmModule(PARAMS, FUNCTIONS.map(([fname, f]) => [fname, [...LOCALS, ...f()]]));

type Fn = (...args: number[]) => void;

interface Instance { fns: Record<string, Fn>; mem: WebAssembly.Memory; f32: Float32Array }

let instance: Instance | null | undefined;

function load(): Instance | null {
  if (instance !== undefined) return instance;
  try {
    const x = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes())).exports as Record<string, Fn> & { mem: WebAssembly.Memory };
    instance = { fns: x, mem: x.mem, f32: new Float32Array(x.mem.buffer) };
  } catch {
    instance = null;
  }
  return instance;
}

const aligned = (n: number): number => Math.ceil(n / 4) * 4;

/** In place of an argument a function does not read. */
const NONE = new Float32Array(0);

/**
 * Copy the arguments into the module's memory (16-byte aligned, one after another) and
 * reserve `outs` outputs after them; returns the byte offsets of arguments then outputs.
 */
function place(inst: Instance, args: ArrayLike<number>[], outs: number[]): number[] {
  let end = 0;
  const at = [...args.map((a) => a.length), ...outs].map((n) => {
    const o = end;
    end = aligned(o + n);
    return o;
  });
  if (inst.f32.length < end) {
    inst.mem.grow(Math.ceil((4 * end - inst.mem.buffer.byteLength) / 65536));
    inst.f32 = new Float32Array(inst.mem.buffer);
  }
  args.forEach((a, i) => inst.f32.set(a, at[i]!));
  return at.map((o) => 4 * o);
}

/** The floats at byte offset `at`: a fresh array, or a view (valid until the next call) when `view`. */
const result = (inst: Instance, at: number, n: number, view = false): Float32Array =>
  view ? inst.f32.subarray(at / 4, at / 4 + n) : inst.f32.slice(at / 4, at / 4 + n);

/** The kernels, or null where WebAssembly SIMD is missing. */
export function batchNormWasm(): BatchNormKernels | null {
  const inst = load();
  if (inst === null) return null;
  const f = inst.fns;
  /** The per-plane gradient sums of arguments already in the module (byte offsets). */
  const gradSums = (pg: number, py: number, px: number, pm: number, po: number, planes: number, plane: number, relu: boolean): DataArray => {
    const quarters = plane % 4 === 0;
    f[`gradSums${+relu}${+quarters}`]!(pg, py, px, pm, po, planes, plane, 0, 0, 0);
    const r = result(inst, po, 16 * planes, true);
    return quarters ? sumQuarters(r, planes) : pairs(r, planes);
  };
  return {
    planeMoments(x, planes, plane) {
      const quarters = plane % 4 === 0;
      const [px, po] = place(inst, [x], [16 * planes]) as [number, number];
      f[quarters ? 'momentsQ' : 'momentsP']!(px, po, planes, plane, 0, 0, 0, 0, 0, 0);
      const r = result(inst, po, 16 * planes, true);
      return quarters ? combineQuarters(r, planes, plane) : pairs(r, planes);
    },
    affine(x, plane, scale, shift, relu, residual = null) {
      const args = residual === null ? [x, scale, shift] : [x, scale, shift, residual];
      const at = place(inst, args, [x.length]);
      const [px, ps, pb] = at as [number, number, number];
      const [pr, po] = residual === null ? [0, at[3]!] : [at[3]!, at[4]!];
      f[`affine${+relu}${+(residual !== null)}`]!(px, ps, pb, pr, po, scale.length, plane, 0, 0, 0);
      return result(inst, po, x.length);
    },
    maskedGrad(g, y) {
      const [pg, py, po] = place(inst, [g, y], [g.length]) as [number, number, number];
      f.masked!(pg, py, po, g.length, 0, 0, 0, 0, 0, 0);
      return result(inst, po, g.length);
    },
    planeGradSums(g, y, x, plane, mean, relu) {
      const planes = x.length / plane;
      const [pg, py, px, pm, po] = place(inst, [g, relu ? y : NONE, x, mean], [16 * planes]) as [number, number, number, number, number];
      return gradSums(pg, py, px, pm, po, planes, plane, relu);
    },
    inputGrad(g, y, x, plane, k1, k2, k3, relu) {
      const [pg, py, px, p1, p2, p3, po] = place(inst, [g, relu ? y : NONE, x, k1, k2, k3], [x.length]) as number[];
      f[`inputGrad${+relu}`]!(pg!, py!, px!, p1!, p2!, p3!, po!, k1.length, plane, 0);
      return result(inst, po!, x.length);
    },
    gradients(g, y, x, plane, mean, relu, masked, factors) {
      // g, y and x are copied in once for all the passes
      const [n, planes] = [x.length, x.length / plane];
      // y only masks: without the ReLU it is not read
      const [pg, py, px, pm, po, p1, p2, p3, pdx, pgz] = place(inst, [g, relu || masked ? y : NONE, x, mean], [16 * planes, planes, planes, planes, n, n]) as number[];
      const sums = gradSums(pg!, py!, px!, pm!, po!, planes, plane, relu);
      const k = factors(sums);
      if (k !== null) {
        k.forEach((a, i) => inst.f32.set(a, [p1!, p2!, p3!][i]! / 4));
        if (masked && relu) f.inputAndMasked!(pg!, py!, px!, p1!, p2!, p3!, pdx!, planes, plane, pgz!); // one pass makes both
        else f[`inputGrad${+relu}`]!(pg!, py!, px!, p1!, p2!, p3!, pdx!, planes, plane, 0);
      }
      if (masked && !(k !== null && relu)) f.masked!(pg!, py!, pgz!, n, 0, 0, 0, 0, 0, 0);
      return { sums, dx: k === null ? null : result(inst, pdx!, n), gz: masked ? result(inst, pgz!, n) : null };
    },
  };
}
