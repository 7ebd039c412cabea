/**
 * A small WebAssembly assembler for the hand-written modules (wasm-copy.ts, batchnorm-wasm.ts):
 * each helper returns the bytes of its instructions, and `wasmModule` wraps functions of i32
 * parameters, with the module's memory exported as `mem`, into a module.
 */

/** Value types. */
export const [I32, F32, V128] = [0x7f, 0x7d, 0x7b];

/** Unsigned LEB128 of n appended to `out` (WebAssembly's integer encoding); returns `out`. */
export function uleb(n: number, out: number[] = []): number[] {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32.const immediates). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

export const get = (l: number): number[] => [0x20, l];
export const set = (l: number): number[] => [0x21, l];
export const tee = (l: number): number[] => [0x22, l];
export const i32c = (n: number): number[] => [0x41, ...sleb(n)];
export const block = (body: number[]): number[] => [0x02, 0x40, ...body, 0x0b];
export const loop = (body: number[]): number[] => [0x03, 0x40, ...body, 0x0b];
/** local l += the i32 that `by` leaves on the stack. */
export const addTo = (l: number, by: number[]): number[] => [...get(l), ...by, 0x6a, ...set(l)];
/** while (counter != 0) { body; counter-- } as block/loop: br_if 1 leaves, br 0 repeats. */
export const countdown = (counter: number, body: number[]): number[] =>
  block(loop([...get(counter), 0x45, 0x0d, 1, ...body, ...addTo(counter, i32c(-1)), 0x0c, 0]));

const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
const name = (t: string): number[] => [...uleb(t.length), ...[...t].map((ch) => ch.charCodeAt(0))];

/** A module exporting `functions` (name, then its local declarations and instructions, without
 * the closing `end`), each taking `params` i32 parameters and returning nothing, and its
 * memory (1 page to start) as `mem`. */
export function wasmModule(params: number, functions: Array<[string, number[]]>): Uint8Array<ArrayBuffer> {
  const n = functions.length;
  const bodies = functions.map(([, code]) => [...uleb(code.length + 1), ...code, 0x0b]);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, ...uleb(params), ...Array<number>(params).fill(I32), 0]),
    ...section(3, [...uleb(n), ...Array<number>(n).fill(0)]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [...uleb(n + 1), ...functions.flatMap(([fname], i) => [...name(fname), 0x00, ...uleb(i)]), ...name('mem'), 0x02, 0]),
    ...section(10, [...uleb(n), ...bodies.flat()]),
  ]);
}
