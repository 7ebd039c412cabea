/**
 * The wide-load extension of gpu.js's WebAssembly backend (ops/kernels/wasm-codegen) gives
 * the same output as stock gpu.js, bitwise: a wide load runs only when the 4 lane indices
 * are consecutive and in bounds, where it reads exactly the floats the stock gather reads,
 * and a splat load reads the same 32 bits as load + splat. Checked on every launch the
 * project's kernels make (conv forward/backward-input/weight-gradient, pooling, resizing,
 * PAMR) and on hand-written kernels that hit the fallback edges.
 */
import { GPU, type IKernelRunShortcut } from 'gpu.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, conv2d, gap, maxPool2d, mul, pamr, resizeBilinear, resizeNearest, setBackend, sum } from '../../lib/index.js';
import { unavailableReason } from '../../lib/core/backend.js';
import { flatten, launchSize } from '../../ops/kernels/gpu.js';
import { materialize, type Launch } from '../../ops/kernels/program.js';
import { launchObserver } from '../../ops/kernels/run.js';
import { emitted, wideWasmKernel } from '../../ops/kernels/wasm-codegen/wide-loads.js';
import { seeded } from './helpers.js';

const available = unavailableReason('webasm') === null && wideWasmKernel() !== null;
const stockGpu = new GPU({ mode: 'webasm' });
const wideGpu = new GPU({ mode: 'webasm' });
(wideGpu as unknown as { Kernel: unknown }).Kernel = wideWasmKernel();

const settings = { precision: 'single', tactic: 'precision', loopMaxIterations: 1 << 24 } as const;
const build = (gpu: GPU, source: string, output: number[]): IKernelRunShortcut =>
  gpu.createKernel(source, { ...settings, output } as Parameters<GPU['createKernel']>[1]);

/** The floats one thread of `source` returns (the length of its array-literal returns,
 * whose elements hold no brackets). */
function returnWidth(source: string): number {
  const m = /return \[([^\]]*)\]/.exec(source);
  return m ? m[1]!.split(',').length : 1;
}

/** `source` with every `return [e0, ..., e(n-1)]` cut to elements [c0, c0 + 4) (a plain
 * return of the element when one is left). */
const returnSlice = (source: string, c0: number): string =>
  source.replace(/return \[([^\]]*)\]/g, (_, list: string) => {
    const part = list.split(',').slice(c0, c0 + 4);
    return part.length === 1 ? `return ${part[0]}` : `return [${part.join(',')}]`;
  });

/** One kernel's output on `gpu`, flat. */
function runOn(gpu: GPU, source: string, output: number[], args: Float32Array[], size: number): Float32Array {
  const k = build(gpu, source, output);
  try {
    const inner = k.kernel as unknown as { build(...a: unknown[]): void; fallbackRequested?: boolean };
    inner.build(...args);
    assert.not.ok(inner.fallbackRequested, 'the kernel compiled to WebAssembly');
    return flatten(k(...args), size).slice();
  } finally {
    k.destroy();
  }
}

/** Outputs of one kernel on stock and extended gpu.js, as raw bits. Stock gpu.js stores at
 * most 4 floats per thread: a wider kernel runs there as kernels returning 4 of its
 * elements each (the last one the rest), interleaved back per thread. */
function bothBits(source: string, output: number[], args: Float32Array[], size: number): [Uint32Array, Uint32Array] {
  const n = returnWidth(source);
  let stock: Float32Array;
  if (n <= 4) stock = runOn(stockGpu, source, output, args, size);
  else {
    const cells = size / n;
    stock = new Float32Array(size);
    for (let c0 = 0; c0 < n; c0 += 4) {
      const w = Math.min(4, n - c0);
      const part = runOn(stockGpu, returnSlice(source, c0), output, args, cells * w);
      for (let i = 0; i < cells; i++) stock.set(part.subarray(w * i, w * i + w), i * n + c0);
    }
  }
  const bits = (a: Float32Array) => new Uint32Array(a.buffer);
  return [bits(stock), bits(runOn(wideGpu, source, output, args, size))];
}

function assertSameBits(a: Uint32Array, b: Uint32Array, what: string): void {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.unreachable(`${what}: element ${i}: stock bits ${a[i]!.toString(16)} vs extended ${b[i]!.toString(16)}`);
}

/** One kernel on stock and extended gpu.js gives the same bits (size: the output's cells by
 * default, as for single-float returns). */
function assertStockBits(source: string, output: number[], args: Float32Array[], what = source, size = output.reduce((x, y) => x * y, 1)): void {
  const [stock, wide] = bothBits(source, output, args, size);
  assertSameBits(stock, wide, what);
}

/** The launches `fn` makes on the engine's webasm backend. */
function launchesOf(fn: () => void): Launch[] {
  const seen = new Map<string, Launch>();
  setBackend('webasm');
  // arguments materialised now: writers read op data the program may not keep
  launchObserver.fn = (l) => void seen.set(`${l.output.join('x')}|${l.source}`, { ...l, args: l.args.map(materialize) });
  try {
    fn();
  } finally {
    launchObserver.fn = null;
    setBackend('auto');
  }
  return [...seen.values()];
}

/** Forward and backward of f, so every kernel of the op runs. */
const grad = (f: (...xs: Tensor[]) => Tensor, xs: Tensor[]): void => {
  const y = f(...xs.map((t) => new Tensor(t.data, t.shape, true)));
  sum(mul(y, seeded(y.shape as number[], 11))).backward();
};

test('every project kernel gives stock gpu.js output bit for bit with wide loads', () => {
  if (!available) return console.log('  (webasm or the gpu.js internals are unavailable here: skipped)');
  const before = { ...emitted };
  const launches = launchesOf(() => {
    for (const [N, C, K, H, W, k, stride, pad, dil] of [[2, 5, 6, 9, 11, 3, 1, 1, 1], [1, 3, 8, 13, 12, 3, 2, 1, 1], [1, 4, 4, 12, 12, 3, 1, 4, 4], [2, 6, 7, 7, 9, 1, 2, 0, 1]] as const)
      grad((x, w, b) => conv2d(x, w, b, { stride, padding: pad, dilation: dil }), [seeded([N, C, H, W], 1), seeded([K, C, k, k], 2), seeded([K], 3)]);
    grad((x) => gap(x), [seeded([2, 3, 7, 9], 4)]);
    grad((x) => maxPool2d(x, { kernel: 3, stride: 2, padding: 1 }), [seeded([2, 3, 9, 10], 5)]);
    grad((x) => resizeBilinear(x, [13, 7]), [seeded([1, 3, 6, 9], 6)]);
    grad((x) => resizeNearest(x, [5, 11]), [seeded([1, 2, 8, 6], 7)]);
    pamr(seeded([1, 3, 10, 12], 8), seeded([1, 4, 10, 12], 9, 0, 1), { dilations: [1, 2], iterations: 3 });
  });
  assert.ok(launches.length >= 10, `collected ${launches.length} launches`);
  for (const l of launches) {
    assertStockBits(l.source, l.output, l.args as Float32Array[], `launch ${l.output.join('x')} ${l.source.slice(0, 80)}`, launchSize(l));
  }
  assert.ok(launches.some((l) => l.components > 4), 'some launch returns more than 4 floats per thread');
  assert.ok(emitted.wide > before.wide, 'wide loads were emitted');
  assert.ok(emitted.splat > before.splat, 'splat loads were emitted');
  assert.ok(emitted.intLocals > before.intLocals, 'integer locals were declared i32');
});

test('wide-load candidates that are not consecutive or in bounds fall back to the stock gather', () => {
  if (!available) return;
  const a = Float32Array.from({ length: 37 }, (_, i) => Math.fround(Math.sin(i + 1) * 100));
  const off = Float32Array.from([0, 1, 2, 3, 5, 6, 7, 8]);
  const kernels: Array<[string, number[]]> = [
    // runs off the end (lanes clamp) and starts below zero
    ['function (a) { return a[this.thread.x + 30]; }', [12]],
    ['function (a) { return a[this.thread.x - 3]; }', [12]],
    // a uniform fractional offset: lanes truncate to consecutive indices
    ['function (a) { return a[this.thread.x + 0.5 + this.thread.y]; }', [8, 3]],
    // locals only assigned lane-stride-1 values, read in a loop and under a divergent branch
    ['function (a) { let k = this.thread.x + 1.0; let s = 0.0; for (let i = 0; i < 4; i++) { if (this.thread.x % 3 > 0) { s += a[(k | 0) + i * 5]; } k = k + 2; } return s; }', [8]],
    // negative literal steps keep the lane stride
    ['function (a) { let k = this.thread.x + 9.0; k = k + -4; return a[k] + a[-(-this.thread.x) + 1]; }', [12]],
    // stride 2 and a data-dependent index: never wide, stock code
    ['function (a) { return a[this.thread.x * 2]; }', [16]],
    // i32 locals: uniform + thread.x running off either end, used in float math, and
    // assigned under a divergent branch (then lane-varying)
    ['function (a) { let k = 30; return a[k + this.thread.x]; }', [12]],
    ['function (a) { let k = -3; k = k + 1; return a[this.thread.x + k - 1] + a[this.thread.x + 2 * k]; }', [12]],
    ['function (a) { const n = Math.floor(this.thread.y / 2); let r = n * 7 + this.thread.y; let s = 0.0; for (let i = 0; i < 3; i++) { s += a[r + this.thread.x] * (r * 0.5) + r / 3; r = r + 3; } return s; }', [8, 4]],
    ['function (a) { let k = 0; if (this.thread.x % 3 > 0) { k = 5; } let q = k * 2 + this.thread.x; return a[k + this.thread.x] + a[q] + k; }', [12]],
    ['function (a) { let q = this.thread.y * 9 + this.thread.x; q += 1; return a[q] - a[q - 1] * q; }', [8, 3]],
    ['function (a, o) { return a[o[this.thread.x]]; }', [8]],
  ];
  for (const [src, output] of kernels) {
    const args = src.includes('(a, o)') ? [a, off] : [a];
    assertStockBits(src, output, args);
  }
});

test('reads proven in bounds for every thread load unchecked, literal offsets fold, and the output stays stock', () => {
  if (!available) return;
  const a = Float32Array.from({ length: 37 }, (_, i) => Math.fround(Math.sin(i + 2) * 50));
  const before = { ...emitted };
  const kernels: Array<[string, number[]]> = [
    // loop counters and thread ids bound the index: 0 <= i*8 + x <= 23 < 37 (unchecked wide load)
    ['function (a) { let s = 0.0; for (let i = 0; i < 3; i++) { s += a[i * 8 + this.thread.x]; } return s; }', [8]],
    // once-defined locals from Math.floor and %, (Number-typed in gpu.js, declared i32 here), a
    // row offset advanced by positive literals (>= 0: its literal terms fold into the load offset)
    ['function (a) { const n = Math.floor(this.thread.y / 3); const m = this.thread.y % 3; let r = n * 7 + m * 2; let s = 0.0; for (let i = 0; i < 3; i++) { s += a[(r | 0) + 4] * a[r + 1] + r / 3 + n * 0.5; r = r + 5; } return s; }', [4, 6]],
    // the same shapes where some thread would read past the end: checked (stock values there)
    ['function (a) { let s = 0.0; for (let i = 0; i < 5; i++) { s += a[i * 8 + this.thread.x]; } return s; }', [8]],
    ['function (a) { const m = this.thread.y % 5; return a[m * 9 + this.thread.x]; }', [4, 7]],
    // a base that may be negative (a decreasing local, a negative remainder): no fold
    ['function (a) { let r = 12 + this.thread.y; let s = 0.0; for (let i = 0; i < 3; i++) { s += a[r + 2]; r = r - 3; } return s + a[(this.thread.y - 3) % 2 + 3]; }', [4, 5]],
    // a counter bounded by <=, and one also assigned in its body (then unbounded: checked)
    ['function (a) { let s = 0.0; for (let i = 0; i <= 7; i++) { s += a[i * 4 + this.thread.x]; } return s; }', [8]],
    ['function (a) { let s = 0.0; for (let i = 0; i < 3; i++) { s += a[i * 4 + this.thread.x]; i = i + 1; } return s; }', [8]],
  ];
  for (const [src, output] of kernels) {
    assertStockBits(src, output, [a]);
  }
  assert.ok(emitted.unchecked > before.unchecked, 'some wide loads were proven in bounds');
  assert.ok(emitted.folded > before.folded, 'some literal offsets were folded');
});

test('counted loops tested at the bottom run the stock iterations: zero-trip, break, continue, nested, <=, uniform and lane-varying bounds', () => {
  if (!available) return;
  const a = Float32Array.from({ length: 64 }, (_, i) => Math.fround(Math.sin(i * 0.7) * 10));
  const before = emitted.rotatedLoops;
  const kernels: Array<[string, number[]]> = [
    // literal bounds (no entry test), nested, <=
    ['function (a) { let s = 0.0; for (let i = 0; i < 3; i++) { for (let j = 0; j <= 2; j++) { s += a[i * 8 + j + this.thread.x] * (j + 1); } } return s; }', [8, 2]],
    // zero-trip loops: the body never runs
    ['function (a) { let s = a[this.thread.x]; for (let i = 0; i < 0; i++) { s += 100.0; } for (let i = 5; i < 3; i++) { s += 1000.0; } for (let i = 2; i <= 1; i++) { s -= 7.0; } return s; }', [8]],
    // uniform bound from a thread id (entry test kept: zero trips at y = 0), break and continue
    ['function (a) { let s = 0.0; for (let i = 0; i < this.thread.y; i++) { if (i === 1) { continue; } if (i > 3) { break; } s += a[i * 4 + this.thread.x]; } return s; }', [8, 7]],
    // lane-varying bound: the stock masked loop
    ['function (a) { let s = 0.0; for (let i = 0; i < this.thread.x; i++) { s += a[i]; } return s; }', [12]],
  ];
  for (const [src, output] of kernels) {
    assertStockBits(src, output, [a]);
  }
  assert.ok(emitted.rotatedLoops > before, 'some loops were tested at the bottom');
});

test('uniform locals read only beside lane-varying operands live splatted; others stay scalar; output stays stock', () => {
  if (!available) return;
  const a = Float32Array.from({ length: 40 }, (_, i) => Math.fround(Math.cos(i * 1.3) * 20));
  const before = emitted.splatLocals;
  const kernels: Array<[string, number[]]> = [
    // v: splatted (element reads, read only in g * v, v - g); u: also read in a uniform sum, so scalar
    ['function (a) { let v = 0.5; let u = 0.0; let s = 0.0; for (let i = 0; i < 4; i++) { const g = a[i * 4 + this.thread.x]; v = a[this.thread.y + i]; u = a[this.thread.y * 2 + i]; s += g * v - (v - g) + (u + 1.5) * g; } return s; }', [4, 6]],
    // read in a condition, and assigned under a divergent branch (varying): stock paths
    ['function (a) { let v = a[this.thread.y]; let s = a[this.thread.x]; if (v > 0) { s = s * v; } if (this.thread.x % 2 === 1) { v = a[3]; } return s + v * a[this.thread.x + 1]; }', [8, 3]],
  ];
  for (const [src, output] of kernels) {
    assertStockBits(src, output, [a]);
  }
  assert.ok(emitted.splatLocals > before, 'some local lived splatted');
});

test('returns of 8, 9, 12 and 16 floats per thread store what 4-float slices of the kernel store in stock gpu.js', () => {
  if (!available) return;
  const a = Float32Array.from({ length: 61 }, (_, i) => Math.fround(Math.cos(i * 0.7) * 10));
  // element c: v(c mod 3) * (c + 1.5) + s, the v's read at b, b + 1, b + 2
  const vs = 'const v0 = a[b]; const v1 = a[b + 1]; const v2 = a[b + 2];';
  const elems = (n: number, pre: string) => Array.from({ length: n }, (_, c) => `${pre}v${c % 3} * ${c + 1}.5 + s`).join(', ');
  const kernels: Array<[string, number[]]> = [
    // SIMD quads and the scalar remainder (thread.x extent not a multiple of 4), 2D output
    [`function (a) { const b = this.thread.y * 9 + this.thread.x; let s = 0.0; for (let i = 0; i < 3; i++) { s += a[b + i]; } ${vs} return [${elems(8, '')}]; }`, [10, 4]],
    [`function (a) { const b = this.thread.x; const s = a[b + 1] - 1; ${vs} return [${elems(12, '-')}]; }`, [7]],
    [`function (a) { const b = this.thread.x * 2; const s = a[b + 3]; ${vs} return [${elems(9, '')}]; }`, [13]],
    // a divergent return (some lanes of a quad return early) and 3D output
    [`function (a) { const b = this.thread.z * 17 + this.thread.y * 5 + this.thread.x; const s = a[b]; ${vs} if (this.thread.x % 3 === 1) { return [${elems(16, '2 * ')}]; } return [${elems(16, '')}]; }`, [6, 2, 3]],
  ];
  for (const [src, output] of kernels) {
    const size = output.reduce((x, y) => x * y, 1) * returnWidth(src);
    assertStockBits(src, output, [a], src, size);
  }
  // stock gpu.js cannot store them: the same source does not build there
  const k = build(stockGpu, kernels[0]![0], kernels[0]![1]);
  try {
    assert.throws(() => (k.kernel as unknown as { build(...a: unknown[]): void }).build(a), /Array\(8\)/);
  } finally {
    k.destroy();
  }
});

test.run();
