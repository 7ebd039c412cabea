/**
 * A strided copy of 4-byte elements in WebAssembly, for the host-side packing of kernel
 * arguments (pack.ts planesWriter, conv.ts splitGrad). Those are short element-by-element
 * loops (rows of 16-64 pixels, channel gathers); in JavaScript they ran at ~2 ns per element
 * on this 2-core machine, against ~0.2 ns for a typed-array memcpy. Here the source is copied
 * into the module's memory (one memcpy), the elements move inside it (v128 loads and stores
 * along contiguous rows), and the result is copied out (one memcpy). Elements move as raw
 * 32-bit words: the result is bitwise the JavaScript loop's (spec/ops/conv.test.ts checks the
 * writers that use it against the per-element packing). Without WebAssembly SIMD (never on
 * Node 20) `stridedCopy` is null and callers keep their loops.
 */

import { I32, addTo, block, countdown, get, i32c, loop, set, wasmModule } from './wasm-asm.js';

/** One level of a copy: `count` steps, `src` / `dst` strides in elements. */
export interface Level { count: number; src: number; dst: number }

/**
 * copy(s, d, n3, n2, n1, n0, s3, s2, s1, s0, d3, d2, d1, d0): byte offsets s, d; four nested
 * levels (n3 outermost) with byte strides; the innermost level moves 4 elements per v128
 * while both its strides are 4 bytes, then one 32-bit word at a time.
 */
function moduleBytes(): Uint8Array<ArrayBuffer> {
  // params 0-13 as in the signature; locals 14-24
  const [s, d, n3, n2, n1, n0, s3, s2, s1, s0, d3, d2, d1, d0] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const [c3, c2, c1, c0, a2, b2, a1, b1, a0, b0, contig, quad] = [14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25];
  const inner = [
    ...get(a1), ...set(a0), ...get(b1), ...set(b0), ...get(n0), ...set(c0),
    // 4 words per v128 while contiguous and at least 4 left
    ...block([...get(contig), 0x45, 0x0d, 0, ...loop([
      ...get(c0), 0x41, 4, 0x49, 0x0d, 1,
      ...get(b0), ...get(a0), 0xfd, 0x00, 0, 0, 0xfd, 0x0b, 0, 0,
      ...addTo(a0, i32c(16)), ...addTo(b0, i32c(16)), ...addTo(c0, i32c(-4)), 0x0c, 0,
    ])]),
    ...countdown(c0, [...get(b0), ...get(a0), 0x28, 2, 0, 0x36, 2, 0, ...addTo(a0, get(s0)), ...addTo(b0, get(d0))]),
  ];
  // exactly 4 contiguous words (the unpacking of 4-pixel blocks): one v128 move, without
  // setting up the innermost loop
  const quadMove = [...get(b1), ...get(a1), 0xfd, 0x00, 0, 0, 0xfd, 0x0b, 0, 0];
  const body = [
    // contig = s0 == 4 & d0 == 4; quad = contig & n0 == 4
    ...get(s0), 0x41, 4, 0x46, ...get(d0), 0x41, 4, 0x46, 0x71, ...set(contig),
    ...get(contig), ...get(n0), 0x41, 4, 0x46, 0x71, ...set(quad),
    ...get(n3), ...set(c3),
    ...countdown(c3, [
      ...get(s), ...set(a2), ...get(d), ...set(b2), ...get(n2), ...set(c2),
      ...countdown(c2, [
        ...get(a2), ...set(a1), ...get(b2), ...set(b1), ...get(n1), ...set(c1),
        ...countdown(c1, [...get(quad), 0x04, 0x40, ...quadMove, 0x05, ...inner, 0x0b, ...addTo(a1, get(s1)), ...addTo(b1, get(d1))]),
        ...addTo(a2, get(s2)), ...addTo(b2, get(d2)),
      ]),
      ...addTo(s, get(s3)), ...addTo(d, get(d3)),
    ]),
  ];
  return wasmModule(14, [['copy', [0x01, 12, I32, ...body]]]);
}

type CopyFn = (...args: number[]) => void;

interface Instance { copy: CopyFn; mem: WebAssembly.Memory; f32: Float32Array }

let instance: Instance | null | undefined;

function load(): Instance | null {
  if (instance !== undefined) return instance;
  try {
    const x = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes())).exports as { copy: CopyFn; mem: WebAssembly.Memory };
    instance = { copy: x.copy, mem: x.mem, f32: new Float32Array(x.mem.buffer) };
  } catch {
    instance = null;
  }
  return instance;
}

/** The module's memory as floats, at least `n` of them. */
function floats(inst: Instance, n: number): Float32Array {
  if (inst.f32.length < n) {
    inst.mem.grow(Math.ceil((4 * n - inst.mem.buffer.byteLength) / 65536));
    inst.f32 = new Float32Array(inst.mem.buffer);
  }
  return inst.f32;
}

/** The sources in the module's memory (by identity), and a count of stagings. */
let staged: { srcs: Float32Array[]; stamp: number; end: number } = { srcs: [], stamp: 0, end: 0 };

/**
 * A staged source: valid while no other staging happened since (several writers of one
 * launch that read one source stage it once).
 */
export interface Staged { stamp: number; offset: number; length: number }

/** One placement: for every index tuple of `levels` (outermost first)
 * dst[dst0 + sum i*dstStride] = from[src0 + sum i*srcStride]. */
export interface Part { from: Staged; src0: number; levels: [Level, Level, Level, Level]; dst0: number }

/** A strided copier, or null where WebAssembly SIMD is missing. */
export interface StridedCopy {
  /** Copy `src` into the module (skipped when `keep` still holds it). */
  stage(src: Float32Array, keep?: Staged | null): Staged;
  /** Copy several sources into the module, one after another. */
  stageMany(srcs: Float32Array[]): Staged[];
  /** Into `dst[at, at + length)`: `fill`, then one placement (offsets relative to `at`). */
  write(from: Staged, src0: number, levels: [Level, Level, Level, Level], dst: Float32Array, at: number, length: number, dst0: number, fill: number): void;
  /** The same with several placements, in order, from sources staged together. */
  writeParts(parts: Part[], dst: Float32Array, at: number, length: number, fill: number): void;
  /** The placements into a region of the module's own memory, returned as a view (valid
   * until the next stage or placement), for callers that copy it out piece by piece. */
  place(parts: Part[], length: number, fill: number): Float32Array;
}

const ALIGN = 4; // floats: each region starts 16-byte aligned
const aligned = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

export function stridedCopy(): StridedCopy | null {
  const inst = load();
  if (inst === null) return null;
  const stageMany = (srcs: Float32Array[]): Staged[] => {
    const stamp = staged.stamp + 1;
    let end = 0;
    const out = srcs.map((src) => {
      const at = end;
      end = aligned(at + src.length);
      floats(inst, end).set(src, at);
      return { stamp, offset: at, length: src.length };
    });
    staged = { srcs, stamp, end };
    return out;
  };
  const place = (parts: Part[], length: number, fill: number): Float32Array => {
    if (parts.some((q) => q.from.stamp !== staged.stamp)) throw new Error('stridedCopy: the source was replaced since it was staged');
    const base = staged.end;
    const f = floats(inst, base + length);
    f.fill(fill, base, base + length);
    for (const { from, src0, levels: [l3, l2, l1, l0], dst0 } of parts)
      if (l3.count > 0 && l2.count > 0 && l1.count > 0 && l0.count > 0)
        inst.copy(4 * (from.offset + src0), 4 * (base + dst0), l3.count, l2.count, l1.count, l0.count,
          4 * l3.src, 4 * l2.src, 4 * l1.src, 4 * l0.src, 4 * l3.dst, 4 * l2.dst, 4 * l1.dst, 4 * l0.dst);
    return inst.f32.subarray(base, base + length);
  };
  const writeParts = (parts: Part[], dst: Float32Array, at: number, length: number, fill: number): void => dst.set(place(parts, length, fill), at);
  return {
    stage(src, keep) {
      if (keep && keep.stamp === staged.stamp && staged.srcs.length === 1 && staged.srcs[0] === src) return keep;
      return stageMany([src])[0]!;
    },
    stageMany,
    write: (from, src0, levels, dst, at, length, dst0, fill) => writeParts([{ from, src0, levels, dst0 }], dst, at, length, fill),
    writeParts,
    place,
  };
}
