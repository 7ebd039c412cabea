/**
 * `epsx export` of models: the safetensors bytes (always checked, parsed independently here),
 * the state names the PyTorch twin registers, and, where a Python with torch is installed, the
 * twin's outputs against epsx's on the same input (eval mode, BatchNorm running statistics).
 * Prints the parity figure: max |torch - epsx| / max |epsx| over each output.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, noGrad, rand, tensor, type Tensor } from '../../lib/index.js';
import { decodeSafetensors, readCheckpoint, saveCheckpoint } from '../../lib/checkpoint.js';
import { describeModule, exportModel, torchStateNames, MODEL_FILES, type ArchNode } from '../../lib/export/index.js';
import { Classifier, Segmenter, loadClassifier, loadSegmenter } from '../../models/index.js';
import { cleanup, tempDir } from '../data/helpers.js';
import { findTorchPython } from './helpers.js';
import { runTwinInEpsx } from './twin.js';

const work = tempDir();
const images = rand([2, 3, 37, 50], { rng: new Rng(5) }); // odd, non-square: strides and resize edges
const bytesOf = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

/** A random model whose BatchNorm layers do something in eval mode (running stats and affine terms away from 0/1). */
function randomized<M extends Classifier | Segmenter>(model: M, seed: number): M {
  const rng = new Rng(seed);
  for (const [name, t] of model.stateDict()) {
    const leaf = name.slice(name.lastIndexOf('.') + 1);
    if (leaf === 'weight' && t.ndim === 4) continue; // conv weights keep their seeded init
    for (let i = 0; i < t.size; i++) {
      t.data[i] = leaf === 'running_var' || leaf === 'weight' ? rng.uniform(0.5, 1.5) : rng.uniform(-0.3, 0.3);
    }
  }
  return model;
}

const classifier = randomized(new Classifier({ numClasses: 3, width: 4, seed: 3 }), 11);
const segmenter = randomized(new Segmenter({ numClasses: 3, width: 4, seed: 4, rates: [1, 2, 3] }), 12);

/** Save the model as train-cls/train-seg do, export it, and return the export folder. */
function exported(model: Classifier | Segmenter, name: string): string {
  const ckpt = join(work, `${name}.safetensors`);
  saveCheckpoint(ckpt, model, { classes: JSON.stringify(['disc', 'square', 'ring']) });
  const out = join(work, name);
  mkdirSync(out);
  exportModel(ckpt, out);
  return out;
}
const clsDir = exported(classifier, 'cls');
const segDir = exported(segmenter, 'seg');

test('model.safetensors: u64 LE header length, space-padded JSON, contiguous F32 offsets, the model state byte for byte', () => {
  for (const [model, dir] of [[classifier, clsDir], [segmenter, segDir]] as const) {
    const bytes = readFileSync(join(dir, MODEL_FILES.weights));
    const n = Number(bytes.readBigUInt64LE(0));
    assert.is(n % 8, 0, 'header length is a multiple of 8');
    const text = bytes.subarray(8, 8 + n).toString('utf8');
    assert.match(text, /^\{.*\} *$/s);
    const header = JSON.parse(text) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> & { __metadata__?: unknown };
    const meta = header.__metadata__ as Record<string, string>;
    delete header.__metadata__;
    const state = model.stateDict();
    assert.equal(Object.keys(header).sort(), [...state.keys()].sort());
    let at = 0;
    for (const [name, entry] of Object.entries(header)) {
      const t = state.get(name)!;
      assert.is(entry.dtype, 'F32');
      assert.equal(entry.shape, [...t.shape]);
      assert.equal(entry.data_offsets, [at, at + 4 * t.size], `${name}: offsets tile the data section in header order`);
      const raw = bytes.subarray(8 + n + at, 8 + n + at + 4 * t.size);
      const le = Buffer.alloc(4 * t.size);
      t.data.forEach((v, i) => le.writeFloatLE(v, 4 * i));
      assert.ok(raw.equals(le), `${name}: bytes are the model's values as little-endian float32`);
      at += 4 * t.size;
    }
    assert.is(8 + n + at, bytes.length, 'no trailing bytes');
    assert.equal(JSON.parse(meta.config!), model.config);
    assert.equal(JSON.parse(meta.arch!), describeModule(model));
    assert.equal(JSON.parse(meta.classes!), ['disc', 'square', 'ring']);
  }
  // The export is still an epsx checkpoint.
  assert.equal(readCheckpoint(join(clsDir, MODEL_FILES.weights), 'classifier').config, classifier.config);
  assert.ok(loadClassifier(join(clsDir, MODEL_FILES.weights)) instanceof Classifier);
  assert.ok(loadSegmenter(join(segDir, MODEL_FILES.weights)) instanceof Segmenter);
});

test('the architecture follows the module tree; the twin registers exactly the epsx state names', () => {
  for (const model of [classifier, segmenter, new Classifier({ numClasses: 5, width: 2, outputStride: 8 })]) {
    const arch = describeModule(model);
    assert.equal(torchStateNames(arch).sort(), [...model.stateDict().keys()].sort());
    const count = (node: ArchNode): number => 1 + ('children' in node ? node.children.reduce((s, [, c]) => s + count(c), 0) : 0);
    assert.is(count(arch), model.namedModules().length);
  }
  const seg = describeModule(segmenter);
  assert.is(seg.type, 'Segmenter');
  const head = 'children' in seg ? seg.children.find(([n]) => n === 'head')![1] : undefined;
  assert.equal(head && 'children' in head ? head.children.map(([n, c]) => [n, c.type === 'Conv2d' && c.dilation]) : [], [['rate1', 1], ['rate2', 2], ['rate3', 3]]);
});

test('model.py embeds the architecture as JSON that Python reads back (no quote can end the string early)', () => {
  const source = readFileSync(join(clsDir, MODEL_FILES.module), 'utf8');
  const arch = /^ARCH = json\.loads\(r'''(.*)'''\)$/m.exec(source)?.[1];
  assert.ok(arch !== undefined, 'ARCH line present');
  assert.equal(JSON.parse(arch!), describeModule(classifier));
  assert.match(source, /^CLASSES = json\.loads\(r'''\["disc","square","ring"\]'''\)$/m);
});

test('the twin\'s composition, restated with epsx ops on the exported file, reproduces the epsx models bit for bit', () => {
  for (const [model, dir] of [[classifier, clsDir], [segmenter, segDir]] as const) {
    const { tensors, metadata } = decodeSafetensors(readFileSync(join(dir, MODEL_FILES.weights)));
    const state = new Map([...tensors].map(([name, t]) => [name, tensor(t.data, t.shape)]));
    const twin = noGrad(() => runTwinInEpsx(JSON.parse(metadata.arch!) as ArchNode, state, images));
    const epsx = noGrad(() => model.eval().forward(images));
    const pairs = model instanceof Classifier ? [[(twin as Tensor[])[0], (epsx as { maps: Tensor }).maps], [(twin as Tensor[])[1], (epsx as { scores: Tensor }).scores]] : [[twin, epsx]];
    for (const [a, b] of pairs as Array<[Tensor, Tensor]>) {
      assert.equal(a.shape, b.shape);
      assert.ok(bytesOf(a).equals(bytesOf(b)), `${model.config.kind}: outputs differ`);
    }
  }
});

const python = findTorchPython();
const skip = python.path === null ? ` (skipped: ${python.reason})` : '';


/** max |a - b| / max |b|: the deviation relative to the output's scale. */
function relativeDiff(torchOut: Float32Array, epsx: Tensor): number {
  assert.is(torchOut.length, epsx.size);
  let diff = 0, scale = 0;
  for (let i = 0; i < epsx.size; i++) {
    diff = Math.max(diff, Math.abs(torchOut[i]! - epsx.data[i]!));
    scale = Math.max(scale, Math.abs(epsx.data[i]!));
  }
  return diff / scale;
}

/** Run each exported model.py (strict load, eval mode) on `images`, in one Python process; per folder, its outputs as float32. */
function runTwins(dirs: string[]): Float32Array[][] {
  const input = join(work, 'input.f32');
  writeFileSync(input, bytesOf(images));
  const script = `
import importlib, sys, torch
x = torch.frombuffer(bytearray(open(sys.argv[1], "rb").read()), dtype=torch.float32).reshape(${JSON.stringify(images.shape)})
for d, folder in enumerate(sys.argv[2:]):
    sys.path.insert(0, folder)
    model = importlib.import_module("model")
    net = model.build()
    net.load_state_dict(model.load_file(folder + "/model.safetensors"), strict=True)
    net.eval()
    with torch.no_grad():
        out = net(x)
    for i, t in enumerate(out if isinstance(out, tuple) else (out,)):
        open("%s.%d.%d" % (sys.argv[1], d, i), "wb").write(t.contiguous().numpy().astype("<f4").tobytes())
    print(len(out) if isinstance(out, tuple) else 1)
    del sys.modules["model"]
    sys.path.pop(0)
`;
  const r = spawnSync(python.path!, ['-c', script, input, ...dirs], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((count, d) =>
    Array.from({ length: Number(count) }, (_, i) => {
      const b = readFileSync(`${input}.${d}.${i}`);
      return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    }),
  );
}

test(`PyTorch loads the export with strict=True and computes the same outputs${skip}`, () => {
  if (python.path === null) return;
  const { maps, scores } = noGrad(() => classifier.eval().forward(images));
  const logits = noGrad(() => segmenter.eval().forward(images));
  const [[tMaps, tScores], [tLogits]] = runTwins([clsDir, segDir]) as [Float32Array[], Float32Array[]];
  const figures = { maps: relativeDiff(tMaps!, maps), scores: relativeDiff(tScores!, scores), logits: relativeDiff(tLogits!, logits) };
  console.log(`export parity (${python.path}, torch ${python.version}; max |torch - epsx| / max |epsx|): classifier maps ${figures.maps.toExponential(2)}, class scores ${figures.scores.toExponential(2)}, segmenter logits ${figures.logits.toExponential(2)}`);
  for (const [what, v] of Object.entries(figures)) assert.ok(v < 1e-4, `${what}: ${v}`);
});

test(`model.py's torch-only reader: dtypes, shapes, scalars and empty tensors as the safetensors format lays them out${skip}`, () => {
  if (python.path === null) return;
  // Hand-made file (offsets out of header order, a 0-d and an empty tensor): the reader must
  // follow data_offsets, not the order of the header.
  const f32 = Buffer.alloc(24), i64 = Buffer.alloc(16), f64 = Buffer.alloc(8);
  [1.5, -2, 3.25, 0, 1e-3, -7].forEach((v, i) => f32.writeFloatLE(v, 4 * i));
  [-3n, 2n ** 40n].forEach((v, i) => i64.writeBigInt64LE(v, 8 * i));
  f64.writeDoubleLE(Math.PI);
  const header = {
    b: { dtype: 'I64', shape: [2], data_offsets: [0, 16] },
    a: { dtype: 'F32', shape: [2, 3], data_offsets: [16, 40] },
    c: { dtype: 'F64', shape: [], data_offsets: [40, 48] },
    d: { dtype: 'F32', shape: [0, 4], data_offsets: [48, 48] },
    __metadata__: { note: 'hand-made' },
  };
  const json = Buffer.from(JSON.stringify(header).padEnd(8 * Math.ceil(JSON.stringify(header).length / 8)));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const path = join(work, 'hand.safetensors');
  writeFileSync(path, Buffer.concat([len, json, i64, f32, f64]));
  const script = `
import json, sys
sys.path.insert(0, sys.argv[1])
import model
tensors, meta = model.read_safetensors(sys.argv[2])
print(json.dumps({"meta": meta, "tensors": {k: [str(v.dtype), list(v.shape), v.flatten().tolist()] for k, v in tensors.items()}}))
`;
  const r = spawnSync(python.path, ['-c', script, clsDir, path], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { meta: unknown; tensors: Record<string, [string, number[], number[]]> };
  assert.equal(got.meta, { note: 'hand-made' });
  assert.equal(got.tensors.a, ['torch.float32', [2, 3], [1.5, -2, 3.25, 0, Math.fround(1e-3), -7]]);
  assert.equal(got.tensors.b, ['torch.int64', [2], [-3, 2 ** 40]]);
  assert.equal(got.tensors.c, ['torch.float64', [], [Math.PI]]);
  assert.equal(got.tensors.d, ['torch.float32', [0, 4], []]);
});

test.after(cleanup);
test.run();
