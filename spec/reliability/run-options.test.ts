/**
 * Everything a user can pass to `epsx run` is checked before any work starts: flags, a
 * --config file that is missing, not JSON, or holds unknown keys, wrong types or values out
 * of range, and conflicting options. Each is exit code 2 with one line naming the option and
 * the value, and nothing is written (no run folder). Also: paths that run through a regular
 * file, for every command that takes a path.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanup, epsxInProcess, filesUnder, tempDir, userError } from '../cli/helpers.js';

const work = tempDir();
const out = join(work, 'runs');
let configs = 0;

/** A --config file holding `text`. */
function config(text: string): string {
  const path = join(work, `config-${configs++}.json`);
  writeFileSync(path, text);
  return path;
}

/** `epsx run ARGS` (with --quick and --out in the work folder) is refused with every fragment and writes nothing. */
async function refuses(args: string[], ...fragments: string[]): Promise<string> {
  const before = filesUnder(work);
  const r = await epsxInProcess('run', '--quick', '--out', out, ...args);
  userError(r, ...fragments);
  assert.equal(filesUnder(work), before, `epsx run ${args.join(' ')} wrote files`);
  return r.stderr.trim();
}

const withConfig = (json: unknown, ...fragments: string[]) => refuses(['--config', config(JSON.stringify(json))], ...fragments);

test('--config: missing, not JSON (the message stays one line), not an object', async () => {
  await refuses(['--config', join(work, 'absent.json')], `--config ${join(work, 'absent.json')}: cannot read (ENOENT)`);
  const multiLine = config('{\n  "seed": 1,\n}\n');
  await refuses(['--config', multiLine], `--config ${multiLine}: not valid JSON`);
  await refuses(['--config', config('')], 'not valid JSON');
  await withConfig([1, 2], 'config must be an object');
  await withConfig('eps++', 'config must be an object');
});

test('--config: unknown keys, at the top and nested', async () => {
  await withConfig({ sed: 1 }, "unknown option 'sed'");
  await withConfig({ classifier: { learningRate: 0.1 } }, "unknown option 'classifier.learningRate'");
  await withConfig({ pseudo: { scales: [1], pamr: true, crf: true } }, "unknown option 'pseudo.crf'");
  await withConfig({ classifier: { augment: { rotate: 16 } } }, "unknown option 'classifier.augment.rotate'");
});

test('--config: wrong types', async () => {
  await withConfig({ seed: '1' }, `'seed' must be an integer >= 0, got "1"`);
  await withConfig({ classifier: { epochs: 1.5 } }, "'classifier.epochs' must be an integer >= 1 or \"auto\", got 1.5");
  await withConfig({ classifier: null }, "'classifier' must be an object, got null");
  await withConfig({ segmenter: { augment: { color: 1 } } }, `'segmenter.augment' must be null or { "scale": [lo, hi] with 0 < lo <= hi <= 4, "crop": null, a side or [h, w], "flip": true or false, "color": a number in [0, 1) }`);
  await withConfig({ synthetic: 5 }, 'synthetic must be an object');
  await withConfig({ pseudo: { pamr: 'yes' } }, `'pseudo.pamr' must be true or false, got "yes"`);
  await withConfig({ pseudo: { scales: [] } }, "'pseudo.scales' must be a list of positive numbers, got []");
  await withConfig({ backend: 'quantum' }, "'backend' must be one of auto, webasm, cpu, reference, headlessgl, webgl, webgpu, got \"quantum\"");
  await withConfig({ ablation: 'yes' }, `'ablation' must be true or false, got "yes"`);
  await withConfig({ data: 5 }, "'data' must be a dataset folder path or null, got 5");
  await withConfig({ name: '../elsewhere' }, "'name' must be a folder name (no slashes)");
  await withConfig({ segmenter: { augment: { flip: 1 } } }, "'segmenter.augment' must be null or");
  await withConfig({ classifier: { augment: { crop: [16] } } }, "'classifier.augment' must be null or", '"crop": null, a side or [h, w]');
});

test('--config: values out of range', async () => {
  await withConfig({ classifier: { momentum: 2 } }, "'classifier.momentum' must be a number in [0, 1], got 2");
  await withConfig({ segmenter: { lr: 0 } }, "'segmenter.lr' must be a positive number, got 0");
  await withConfig({ pseudo: { threshold: -0.1 } }, "'pseudo.threshold' must be a number in [0, 1], got -0.1");
  await withConfig({ labeledFraction: 0 }, "'labeledFraction' must be a number in (0, 1] or null, got 0");
  await withConfig({ width: 0 }, "'width' must be an integer >= 1, got 0");
  await withConfig({ classifier: { augment: { scale: [1.2, 0.8] } } }, "'classifier.augment' must be null or");
  await withConfig({ synthetic: { size: 16 } }, 'synthetic: size = 16 is not an integer in 32..1024');
  await withConfig({ synthetic: { train: 0 } }, 'synthetic: train = 0 is not an integer');
});

test('flags: bad values, unknown flags, conflicts', async () => {
  await refuses(['--labeled-fraction', '2'], '--labeled-fraction must be a number in 0.001..1, got 2');
  await refuses(['--method', 'foo'], "--method must be one of cam, eps, eps++, got 'foo'");
  await refuses(['--backend', 'foo'], "--backend must be one of auto, webasm, cpu, reference, headlessgl, webgl, webgpu, got 'foo'");
  await refuses(['--seed=-1'], '--seed must be an integer in >= 0, got -1');
  await refuses(['--cls-epochs', '1.5'], "--cls-epochs must be an integer, got '1.5'");
  await refuses(['--width', '1000'], '--width must be an integer in 1..256, got 1000');
  await refuses(['--train', '0'], '--train must be an integer in >= 1, got 0');
  await refuses(['--panels', 'x'], "--panels must be an integer, got 'x'");
  await refuses(['--seed', '1', '--seed', '2'], '--seed given more than once');
  await refuses(['--lr', '0.1'], 'Unknown option `--lr`');
  await refuses(['--name', 'a/b'], "'name' must be a folder name (no slashes)");
});

test('--resume with nothing to resume; a new run over an existing one', async () => {
  await refuses(['--resume'], `--resume: no run to resume under ${out}/`);
  mkdirSync(join(out, 'old'), { recursive: true });
  writeFileSync(join(out, 'old', 'state.json'), '{}');
  await refuses(['--resume', '--name', 'nope'], `--resume: ${join(out, 'nope', 'state.json')} does not exist (nothing to resume)`);
  await refuses(['--name', 'old'], `run folder ${join(out, 'old')} already holds a run: use --resume to continue it, or another --name`);
});

test('--resume with a damaged state.json: one line naming it, nothing written', async () => {
  const state = join(out, 'old', 'state.json');
  const damaged: Array<[string, string]> = [
    ['{"config"', `${state}: not valid JSON`],
    ['[1]', `${state}: not the state of an epsx run (the run folder is damaged; start a new run)`],
    ['{"config": null, "done": {}, "timings": {}}', 'not the state of an epsx run'],
    ['{"config": {"seed": 1}, "done": {}, "timings": {}}', `${state}: 'name' must be a folder name (no slashes), got undefined`],
  ];
  for (const [text, fragment] of damaged) {
    writeFileSync(state, text);
    await refuses(['--resume', '--name', 'old'], fragment);
  }
});

test('paths through a regular file are user errors for every command (ENOTDIR), nothing written', async () => {
  const file = join(work, 'a-file');
  writeFileSync(file, 'x');
  const under = join(file, 'x');
  const before = filesUnder(work);
  const cases: Array<[string[], string]> = [
    [['train-cls', '--data', under, '--out', join(work, 'o.safetensors')], `${under}: dataset folder not found`],
    [['train-cls', '--out', join(under, 'o.safetensors')], `--out ${under}: cannot create the folder (ENOTDIR)`],
    [['train-seg', '--masks', under, '--out', join(work, 's.safetensors')], `${under}: masks folder not found`],
    [['eval', '--ckpt', under], `checkpoint ${under}: cannot read (ENOTDIR)`],
    [['predict', under, '--ckpt', under, '--out', join(work, 'pred')], `checkpoint ${under}: cannot read (ENOTDIR)`],
    [['run', '--config', under], `--config ${under}: cannot read (ENOTDIR)`],
    [['run', '--quick', '--data', under, '--out', out], `${under}: dataset folder not found`],
    [['synth', '--out', under], 'ENOTDIR'],
  ];
  for (const [args, fragment] of cases) userError(await epsxInProcess(...args), fragment);
  assert.equal(filesUnder(work), before);
});

test.after(cleanup);
test.run();
