/**
 * Checkpoints: safetensors layout (parsed independently here, and by Python's safetensors
 * when installed), bit-identical round trips, and one-line UserErrors for every bad file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, noGrad, rand, sum, type Tensor } from '../../lib/index.js';
import { encodeSafetensors, loadCheckpoint, readCheckpoint, saveCheckpoint } from '../../lib/checkpoint.js';
import { AdamW } from '../../lib/optim/index.js';
import { throwsUserError } from '../data/helpers.js';
import { Classifier, Segmenter, loadClassifier, loadSegmenter } from '../../models/index.js';

const dir = mkdtempSync(join(tmpdir(), 'epsx-ckpt-'));
const images = rand([2, 3, 32, 32], { rng: new Rng(7) });

/** A small classifier moved away from its init (weights and BatchNorm running stats). */
function trainedClassifier(seed = 1): Classifier {
  const model = new Classifier({ numClasses: 3, width: 4, seed });
  const opt = new AdamW(model.parameters(), { lr: 0.01 });
  for (let i = 0; i < 2; i++) {
    opt.zeroGrad();
    const { maps } = model.forward(images);
    sum(maps).backward();
    opt.step();
  }
  return model;
}

const bytesOf = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
const evalMaps = (m: Classifier) => noGrad(() => m.eval().forward(images).maps);

function assertSameState(a: Classifier | Segmenter, b: Classifier | Segmenter): void {
  const sa = a.stateDict();
  const sb = b.stateDict();
  assert.equal([...sa.keys()], [...sb.keys()]);
  for (const [name, t] of sa) assert.ok(bytesOf(t).equals(bytesOf(sb.get(name)!)), `${name} differs`);
}

/** Rebuild a file from a (possibly edited) header object and data section. */
function withHeader(header: unknown, data: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

function parse(bytes: Uint8Array): { header: Record<string, any>; data: Uint8Array } {
  const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
  return { header: JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString()), data: bytes.subarray(8 + n) };
}

test('file layout is safetensors: u64 LE header size, space-padded JSON, contiguous F32 offsets, raw LE data', () => {
  const model = trainedClassifier();
  const path = join(dir, 'layout.safetensors');
  saveCheckpoint(path, model, { step: '2' });
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  assert.is(n % 8, 0);
  const text = bytes.subarray(8, 8 + n).toString();
  assert.match(text, /^\{.*\} *$/);
  const header = JSON.parse(text);
  assert.equal(JSON.parse(header.__metadata__.config), model.config);
  assert.is(header.__metadata__.config.length > 0 && typeof header.__metadata__.config, 'string');
  assert.is(header.__metadata__.step, '2');
  const state = model.stateDict();
  assert.equal(Object.keys(header).filter((k) => k !== '__metadata__').sort(), [...state.keys()].sort());
  assert.ok(state.has('backbone.stem.bn.running_mean') && state.has('backbone.layer3.bn2.running_var'));
  let offset = 0;
  for (const [name, t] of state) {
    const e = header[name];
    assert.is(e.dtype, 'F32');
    assert.equal(e.shape, t.shape);
    assert.equal(e.data_offsets, [offset, offset + 4 * t.size]);
    const raw = bytes.subarray(8 + n + offset, 8 + n + offset + 4 * t.size);
    for (let i = 0; i < t.size; i++) assert.is(raw.readFloatLE(4 * i), t.data[i], `${name}[${i}]`);
    offset += 4 * t.size;
  }
  assert.is(bytes.length, 8 + n + offset);
});

test('save -> load gives bit-identical parameters, buffers and model outputs', () => {
  const a = trainedClassifier();
  const path = join(dir, 'cls.safetensors');
  saveCheckpoint(path, a);
  const b = new Classifier({ numClasses: 3, width: 4, seed: 99 });
  loadCheckpoint(path, b);
  assertSameState(a, b);
  assert.ok(bytesOf(evalMaps(a)).equals(bytesOf(evalMaps(b))));
  const c = loadClassifier(path);
  assert.equal(c.config, a.config);
  assertSameState(a, c);
  const seg = new Segmenter({ numClasses: 2, width: 2, seed: 3 });
  const segPath = join(dir, 'seg.safetensors');
  saveCheckpoint(segPath, seg);
  const seg2 = loadSegmenter(segPath);
  assertSameState(seg, seg2);
  assert.ok(bytesOf(noGrad(() => seg.eval().forward(images))).equals(bytesOf(noGrad(() => seg2.eval().forward(images)))));
  assert.equal(readCheckpoint(segPath).config.rates, [1, 2, 4, 6]);
});

const python = spawnSync('python3', ['-c', 'import safetensors, numpy'], { encoding: 'utf8' });
const havePython = python.status === 0;

test(`Python safetensors reads our files and writes files we read${havePython ? '' : ' (skipped: python3 with safetensors not installed)'}`, () => {
  if (!havePython) return;
  const a = trainedClassifier();
  const path = join(dir, 'py-in.safetensors');
  const back = join(dir, 'py-out.safetensors');
  saveCheckpoint(path, a);
  const script = `
import sys, json, base64
from safetensors import safe_open
from safetensors.numpy import load_file, save_file
src, dst = sys.argv[1], sys.argv[2]
tensors = load_file(src)
with safe_open(src, framework="numpy") as f:
    meta = f.metadata()
save_file(tensors, dst, metadata=meta)
print(json.dumps({"meta": meta, "tensors": {k: [str(v.dtype), list(v.shape), base64.b64encode(v.tobytes()).decode()] for k, v in tensors.items()}}))
`;
  const r = spawnSync('python3', ['-c', script, path, back], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { meta: Record<string, string>; tensors: Record<string, [string, number[], string]> };
  assert.equal(JSON.parse(out.meta.config!), a.config);
  for (const [name, t] of a.stateDict()) {
    const [dtype, shape, b64] = out.tensors[name]!;
    assert.is(dtype, 'float32');
    assert.equal(shape, t.shape);
    assert.ok(Buffer.from(b64, 'base64').equals(bytesOf(t)), `${name} bytes differ in Python`);
  }
  assertSameState(a, loadClassifier(back)); // Python orders tensors its own way; we accept any tiling
});

test('every bad checkpoint is a one-line UserError naming the file, and the model is left untouched', () => {
  const good = trainedClassifier();
  const path = join(dir, 'good.safetensors');
  saveCheckpoint(path, good);
  const bytes = readFileSync(path);
  const { header, data } = parse(bytes);
  const target = new Classifier({ numClasses: 3, width: 4, seed: 5 });
  const before = [...target.stateDict()].map(([, t]) => Buffer.from(bytesOf(t)));
  const bad = (name: string, content: Uint8Array | string) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  const edit = (f: (h: Record<string, any>) => void) => {
    const h = structuredClone(header);
    f(h);
    return withHeader(h, data);
  };
  const firstTensor = [...good.stateDict().keys()][0]!;
  const cases: Array<[string, Uint8Array | string, Array<string | RegExp>]> = [
    ['empty', new Uint8Array(0), [/truncated/]],
    ['short', bytes.subarray(0, 5), [/truncated/]],
    ['png', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), [/not a safetensors file/]],
    ['header-cut', bytes.subarray(0, 40), [/truncated: header needs/]],
    ['data-cut', bytes.subarray(0, bytes.length - 4), [/out of range|truncated/]],
    ['trailing', Buffer.concat([bytes, Buffer.alloc(8)]), [/trailing/]],
    ['bad-json', withHeader('x', data).fill(0x7b, 8, 9), [/not valid JSON/]],
    ['not-object', withHeader([1, 2], data), [/not a safetensors file|not a JSON object/]],
    ['offsets', edit((h) => (h[firstTensor].data_offsets = [0, 1e9])), [firstTensor, /out of range/]],
    ['overlap', edit((h) => (h['backbone.stem.bn.bias'].data_offsets = h['backbone.stem.bn.weight'].data_offsets)), [/overlap another tensor/]],
    ['dtype', edit((h) => (h[firstTensor].dtype = 'F16')), [/dtype "F16" is not supported/]],
    ['no-config', edit((h) => delete h.__metadata__), [/no model config/]],
    ['config-json', edit((h) => (h.__metadata__.config = '{oops')), [/config .* not valid JSON/]],
    ['shape', edit((h) => (h[firstTensor].shape = [4, 3, 9, 1])), [firstTensor, /\[4,3,9,1\].*expects \[4,3,3,3\]/]],
    ['hole', edit((h) => delete h['head.weight']), [/leave a hole|cover/]],
    ['missing', encodeSafetensors(new Map([...good.stateDict()].filter(([n]) => n !== 'head.weight')), { config: JSON.stringify(good.config) }), [/tensor 'head\.weight' is missing/]],
  ];
  for (const [name, content, fragments] of cases) {
    const p = bad(`${name}.safetensors`, content);
    throwsUserError(() => loadCheckpoint(p, target), `checkpoint ${p}:`, ...fragments);
  }
  throwsUserError(() => loadCheckpoint(join(dir, 'nope.safetensors'), target), /nope\.safetensors: cannot read \(ENOENT\)/);
  // Well-formed files that do not fit the model.
  const wide = join(dir, 'wide.safetensors');
  saveCheckpoint(wide, new Classifier({ numClasses: 3, width: 8 }));
  throwsUserError(() => loadCheckpoint(wide, target), wide, /'backbone\.stem\.conv\.weight' has shape \[8,3,3,3\], the model expects \[4,3,3,3\]/);
  const seg = join(dir, 'seg-kind.safetensors');
  saveCheckpoint(seg, new Segmenter({ numClasses: 3, width: 4 }));
  throwsUserError(() => loadCheckpoint(seg, target), seg, /is a segmenter checkpoint, expected a classifier/);
  throwsUserError(() => loadClassifier(seg), /is a segmenter checkpoint, expected a classifier/);
  const badCfg = bad('bad-config.safetensors', edit((h) => (h.__metadata__.config = JSON.stringify({ ...good.config, outputStride: 3 }))));
  throwsUserError(() => loadClassifier(badCfg), badCfg, /'outputStride' must be 2, 4 or 8, got 3/);
  const extra = bad('extra.safetensors', withHeader({ ...header, zzz: { dtype: 'F32', shape: [1], data_offsets: [data.length, data.length + 4] } }, Buffer.concat([data, Buffer.alloc(4)])));
  throwsUserError(() => loadCheckpoint(extra, target), /unexpected tensor 'zzz'/);
  [...target.stateDict()].forEach(([name, t], i) => assert.ok(bytesOf(t).equals(before[i]!), `${name} was modified by a failed load`));
});

test('saving is atomic: a failed save leaves no file and no temporary behind', () => {
  const model = new Classifier({ numClasses: 2, width: 2 });
  throwsUserError(() => saveCheckpoint(join(dir, 'missing-dir', 'x.safetensors'), model), /cannot write .*x\.safetensors: ENOENT/);
  const sub = mkdtempSync(join(dir, 'atomic-'));
  const path = join(sub, 'a.safetensors');
  saveCheckpoint(path, model);
  saveCheckpoint(path, trainedClassifier()); // overwrite goes through rename, too
  assert.equal(readdirSync(sub), ['a.safetensors']);
  assert.ok(existsSync(path));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
