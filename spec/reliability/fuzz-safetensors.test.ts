/**
 * Fuzzing the safetensors readers (lib/checkpoint.ts decodeSafetensors / readCheckpoint, and
 * the resumable training state of lib/pipeline/train-state.ts): random bytes, mutated files,
 * the header length set huge, and header JSON entries replaced by arbitrary JSON or extreme
 * shapes and offsets - always a one-line UserError (naming the file, when read from one) or a
 * valid result, quickly and without allocating a declared size.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError } from '../../lib/core/errors.js';
import { decodeSafetensors, encodeSafetensors, readCheckpoint } from '../../lib/checkpoint.js';
import { SGD } from '../../lib/optim/index.js';
import { loadTrainState, saveTrainState } from '../../lib/pipeline/train-state.js';
import { Classifier } from '../../models/index.js';
import { assertPeakMemory, clean, mutations, randomBytes, runs, seen } from './fuzz.js';

const dir = mkdtempSync(join(tmpdir(), 'epsx-fuzz-st-'));
const model = new Classifier({ numClasses: 2, width: 2 });
const checkpoint = encodeSafetensors(model.stateDict(), { config: JSON.stringify(model.config), method: 'eps++' });
const small = encodeSafetensors(
  new Map([
    ['a', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
    ['b', { shape: [], data: Float32Array.from([7]) }],
  ]),
  { config: '{"kind":"classifier"}' },
);
const statePath = join(dir, 'state.safetensors');
saveTrainState(statePath, model, new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }), { epoch: 1, batch: 2 });
const trainState = Uint8Array.from(readFileSync(statePath));

function split(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString()), data: bytes.subarray(8 + n) };
}

function join8(header: unknown, data: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** The 8-byte header length set to an extreme value. */
function headerLengths(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = split(base);
  const jsonLength = base.length - 8 - n.data.length;
  return fc
    .oneof(
      fc.constantFrom(0n, 1n, 7n, 8n, BigInt(jsonLength - 1), BigInt(jsonLength + 1), BigInt(base.length), 100_000_000n, 100_000_001n, 2n ** 32n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    )
    .map((v) => {
      const out = base.slice();
      new DataView(out.buffer).setBigUint64(0, v, true);
      return out;
    });
}

const extremeNumber = fc.oneof(
  fc.constantFrom(-1, 0, 1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e308, -0, Number.MAX_SAFE_INTEGER),
  fc.integer(),
  fc.double(),
);
/** A value for one header field: arbitrary JSON, or shapes and offsets made of extreme numbers. */
const fieldValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.array(extremeNumber, { maxLength: 6 }),
  fc.tuple(extremeNumber, extremeNumber),
  fc.constantFrom('F32', 'F16', 'I64', ''),
);

/** One header entry (or one field of it) replaced, the header length kept consistent. */
function headerEdits(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const { header, data } = split(base);
  const names = Object.keys(header);
  return fc
    .tuple(fc.constantFrom(...names, 'extra'), fc.constantFrom('dtype', 'shape', 'data_offsets', 'config', 'entry', 'delete'), fieldValue)
    .map(([name, field, value]) => {
      const h = structuredClone(header) as Record<string, any>;
      if (field === 'delete') delete h[name];
      else if (field === 'entry' || h[name] === undefined || typeof h[name] !== 'object') h[name] = value;
      else h[name][field] = value;
      return join8(h, data);
    });
}

/** The data section cut short, extended, or swapped for another size. */
function dataEdits(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const { header, data } = split(base);
  return fc.oneof(
    fc.nat(data.length).map((n) => join8(header, data.subarray(0, n))),
    fc.integer({ min: 1, max: 64 }).map((n) => join8(header, Uint8Array.from([...data, ...new Uint8Array(n)]))),
  );
}

const everyMutation = (base: Uint8Array) => fc.oneof(mutations(base), headerLengths(base), headerEdits(base), dataEdits(base));

const decode = clean((b: Uint8Array) => decodeSafetensors(b));

/** Read through a file: the message must name it. */
let fileCase = 0;
function viaFile(read: (path: string) => unknown): (b: Uint8Array) => void {
  return clean((b: Uint8Array) => {
    const path = join(dir, `case-${fileCase++ % 8}.safetensors`);
    writeFileSync(path, b);
    try {
      read(path);
    } catch (e) {
      if (e instanceof UserError) assert.ok(e.message.includes(path), `"${e.message}" should name the file`);
      throw e;
    }
  });
}

test('random bytes, with and without a plausible header length', () => {
  fc.assert(fc.property(randomBytes(Uint8Array.from([64, 0, 0, 0, 0, 0, 0, 0, 0x7b])), decode), runs(300));
});

test('bit flips, truncation, overwrites, splices; header length huge; header entries replaced; data resized', () => {
  for (const base of [small, checkpoint]) fc.assert(fc.property(everyMutation(base), decode), runs(250));
  assert.ok(seen(/implausible/) > 0 && seen(/truncated: header needs/) > 0, 'huge header lengths are refused by size');
  assert.ok(seen(/bad shape|bad data_offsets|out of range|needs #/) > 0, 'edited entries reach the entry checks');
  assert.ok(seen(/^ok$/) > 0, 'some edits leave a valid file');
});

test('readCheckpoint: every mutated checkpoint file fails naming the file, or reads', () => {
  fc.assert(fc.property(everyMutation(checkpoint), viaFile((p) => readCheckpoint(p, 'classifier'))), runs(200));
});

test('loadTrainState (--resume): every mutated training state fails naming the file, or loads', () => {
  const read = (p: string) => {
    const m = new Classifier({ numClasses: 2, width: 2 });
    loadTrainState(p, m, new SGD(m.parameters(), { lr: 0.1, momentum: 0.9 }));
  };
  fc.assert(fc.property(everyMutation(trainState), viaFile(read)), runs(200));
  const { header, data } = split(trainState);
  for (const position of ['{oops', '"x"', '{"epoch":-1,"batch":0}', '{"epoch":1.5,"batch":0}', 'null', '[]']) {
    const h = structuredClone(header) as Record<string, any>;
    h.__metadata__.position = position;
    viaFile(read)(join8(h, data));
  }
  assert.ok(seen(/training state .*position/) > 0, 'a damaged position is refused');
});

test('peak memory stayed bounded', assertPeakMemory);

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
