/**
 * Fuzzing harness for the file readers (not a suite itself: no .test.ts suffix).
 *
 * `clean(...readers)` is a fast-check predicate: on any input, each reader must return or
 * throw a one-line UserError - never another exception type - within a time bound and without
 * a large allocation. Allocation is watched two ways: the growth of `arrayBuffers` across one
 * case (typed arrays and Buffers live there), and the process's peak resident memory over the
 * whole suite (`assertPeakMemory`), which a transient allocation cannot hide from.
 *
 * The byte-level mutators here are generic; format-aware ones sit beside the suites.
 */
import fc from 'fast-check';
import * as assert from 'uvu/assert';
import { UserError } from '../../lib/core/errors.js';

/** Per-case limits: generous for a loaded 2-core CI machine, far below what a forged size costs. */
export const CASE_MS = 1500;
export const CASE_BYTES = 48 * 2 ** 20;
/** Peak resident memory a whole suite may add to what it started with. */
export const PEAK_BYTES = 256 * 2 ** 20;

const startRss = process.resourceUsage().maxRSS * 1024;

/**
 * Outcomes of the cases run so far ("ok", or the error message with numbers as #), so that a
 * suite can check its inputs reached the deep checks and not only the first one.
 */
export const outcomes = new Map<string, number>();

/** How many cases ended with an outcome matching `pattern`. */
export function seen(pattern: RegExp): number {
  let n = 0;
  for (const [k, v] of outcomes) if (pattern.test(k)) n += v;
  return n;
}

/** One case: `read(input)` returns or throws a one-line UserError, quickly and without a large allocation. */
function oneCase<T>(read: (input: T) => unknown, input: T): void {
  const mem0 = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let outcome = 'ok';
  try {
    read(input);
  } catch (e) {
    if (!(e instanceof UserError)) throw new Error(`expected a UserError, got ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
    assert.not.match(e.message, /[\r\n]/, `message must be one line: ${JSON.stringify(e.message)}`);
    outcome = e.message.replace(/\d+/g, '#');
  }
  const ms = performance.now() - t0;
  const grew = process.memoryUsage().arrayBuffers - mem0;
  assert.ok(ms < CASE_MS, `one case took ${ms.toFixed(0)} ms (outcome: ${outcome})`);
  assert.ok(grew < CASE_BYTES, `one case allocated ${(grew / 2 ** 20).toFixed(0)} MiB (outcome: ${outcome})`);
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
}

/** A fast-check predicate: each reader, on the input, passes `oneCase`. */
export function clean<T>(...reads: Array<(input: T) => unknown>): (input: T) => void {
  return (input) => {
    for (const read of reads) oneCase(read, input);
  };
}

/** Peak resident memory of the process stayed within PEAK_BYTES of its start. */
export function assertPeakMemory(): void {
  const grew = process.resourceUsage().maxRSS * 1024 - startRss;
  assert.ok(grew < PEAK_BYTES, `peak resident memory grew by ${(grew / 2 ** 20).toFixed(0)} MiB during fuzzing`);
}

/** Values that break size arithmetic: zero, one, powers of two and their neighbours, all ones. */
export const extremeU32 = fc.oneof(
  fc.constantFrom(0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 8192, 8193, 46341, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff),
  fc.integer({ min: 0, max: 0xffffffff }),
);

/** Flip 1-8 random bits. */
export function bitFlips(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.array(fc.tuple(fc.nat(base.length - 1), fc.nat(7)), { minLength: 1, maxLength: 8 }).map((flips) => {
    const out = base.slice();
    for (const [at, bit] of flips) out[at]! ^= 1 << bit;
    return out;
  });
}

/** Cut the file short anywhere (including to nothing). */
export function truncations(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.nat(base.length - 1).map((n) => base.slice(0, n));
}

/** Overwrite 1-4 bytes at a random place with extreme values (lengths and sizes live in such runs). */
export function overwrites(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 1, max: 4 }), fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff)).map(([at, n, v]) => {
    const out = base.slice();
    out.fill(v, at, Math.min(out.length, at + n));
    return out;
  });
}

/** Delete or duplicate a random range (shifts every later offset). */
export function splices(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 1, max: 64 }), fc.boolean()).map(([at, n, dup]) => {
    const range = base.subarray(at, at + n);
    return Uint8Array.from([...base.subarray(0, at), ...(dup ? [...range, ...range] : []), ...base.subarray(at + n)]);
  });
}

/** Random bytes, optionally behind the format's magic bytes so that they get past the first check. */
export function randomBytes(magic: Uint8Array = new Uint8Array(0), maxLength = 512): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.boolean(), fc.uint8Array({ maxLength })).map(([withMagic, rest]) => (withMagic ? Uint8Array.from([...magic, ...rest]) : rest));
}

/** Every generic mutation of a valid file. */
export function mutations(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(bitFlips(base), truncations(base), overwrites(base), splices(base));
}

/**
 * fast-check settings: enough cases to matter, few enough for the suite's time budget.
 * Seeded, because the suites also assert that their cases reached the deep checks, and that
 * must not depend on the draw (an unseeded run sometimes missed one). EPSX_FUZZ_SEED picks
 * another draw and EPSX_FUZZ_SCALE=20 runs twenty times as many, for a deeper search by hand.
 */
const scale = Math.max(1, Number(process.env.EPSX_FUZZ_SCALE) || 1);
const seed = Number(process.env.EPSX_FUZZ_SEED ?? 20261125);
export const runs = (numRuns: number) => ({ numRuns: numRuns * scale, seed, endOnFailure: true, includeErrorInReport: true });
