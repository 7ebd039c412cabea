/**
 * End to end: `epsx run --quick` in a fresh folder writes every artefact, and each parses:
 * config/state/metrics JSON with numbers in range, the step log, checkpoints, pseudo-mask
 * PNGs of the right size and label range, panels, and a report that references every panel.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodePngLabels, decodePngRgb } from '../../lib/data/index.js';
import { readCheckpoint } from '../../lib/checkpoint.js';

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'epsx-run-'));
const tsx = import.meta.resolve('tsx'); // absolute: the run happens in a temporary folder
const epsx = (...args: string[]) => spawnSync(process.execPath, ['--import', tsx, join(root, 'cli/main.ts'), ...args], { cwd: work, encoding: 'utf8' });
const run = join(work, 'runs', 'q');

test('epsx run --quick finishes and prints the headline numbers', () => {
  const r = epsx('run', '--quick', '--name', 'q');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /pseudo-masks epspp-pamr\s+train mIoU \d+\.\d/);
  assert.match(r.stdout, /segmenter wsss\s+val mIoU \d+\.\d/);
  assert.match(r.stdout, /report: .*report\.html/);
  assert.not.match(r.stderr, /\r|\x1b\[/, 'no progress-bar redraws when stderr is not a TTY');
});

test('config.json, state.json and metrics.json parse, numbers in range', () => {
  for (const f of ['config.json', 'state.json', 'metrics.json']) assert.ok(existsSync(join(run, f)), f);
  const m = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
  const inUnit = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1;
  assert.ok(inUnit(m.pseudo['epspp-pamr'].mIoU), 'pseudo mIoU in [0,1]');
  for (const k of ['wsss', 'full']) {
    assert.ok(inUnit(m.segmenter[k].mIoU), `${k} mIoU in [0,1]`);
    assert.is(m.segmenter[k].perClass.length, 7, 'background + 6 classes');
  }
  assert.ok(m.segmenter.wsss.ratioToFull > 0);
  assert.ok(Object.values(m.timings).every((t) => typeof t === 'number' && t >= 0));
});

test('log.jsonl has one record per step with finite losses', () => {
  const lines = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const cls = lines.filter((r) => r.stage === 'classifier (eps++)');
  assert.ok(cls.length >= 1);
  assert.equal(cls.map((r) => r.step), cls.map((_, i) => i), 'steps in order, none repeated');
  for (const r of cls) assert.ok(Number.isFinite(r.loss_cls) && Number.isFinite(r.loss_sal));
  // --quick warms up for half an epoch (2 of 4 steps), then the IRD is on and logs its drops.
  const switched = cls.findIndex((r) => typeof r.event === 'string');
  assert.is(switched, 2, 'one step record announces the IRD');
  assert.match(cls[switched].event, /^IRD on after 2 warm-up steps/);
  for (const r of cls) assert.is(typeof r.ird_dropped === 'number' && r.ird_dropped >= 0 && r.ird_dropped <= 1, r.step >= switched, `step ${r.step}`);
  // The default warm-up (eps-cam) logs the share of pixels it left out, on warm-up steps only.
  for (const r of cls) assert.is(typeof r.warmup_dropped === 'number' && r.warmup_dropped >= 0 && r.warmup_dropped <= 1, r.step < switched, `step ${r.step}`);
});

test('checkpoints load, pseudo-masks decode with the image size and valid labels', () => {
  assert.is(readCheckpoint(join(run, 'checkpoints', 'classifier-epspp.safetensors'), 'classifier').config.kind, 'classifier');
  assert.is(readCheckpoint(join(run, 'checkpoints', 'segmenter-wsss.safetensors'), 'segmenter').config.kind, 'segmenter');
  const dir = join(run, 'pseudo', 'epspp-pamr');
  const files = readdirSync(dir);
  assert.is(files.length, 16, 'one mask per train image');
  for (const f of files) {
    const m = decodePngLabels(readFileSync(join(dir, f)), f);
    assert.is(m.width, 32);
    assert.ok(m.data.every((v) => v <= 6));
  }
});

test('report.html is self-contained and shows every panel PNG; report.md has the tables', () => {
  const html = readFileSync(join(run, 'report.html'), 'utf8');
  const state = JSON.parse(readFileSync(join(run, 'state.json'), 'utf8'));
  assert.ok(state.done['segmenter-wsss']);
  const tiles = readdirSync(join(run, 'viz')).filter((f) => /-\d+\.png$/.test(f));
  assert.ok(tiles.length > 0);
  for (const t of tiles) {
    assert.ok(html.includes(`data-src="viz/${t}"`), `report shows ${t}`);
    decodePngRgb(readFileSync(join(run, 'viz', t)), t);
  }
  assert.not.match(html, /\ssrc="(?!data:)/, 'no external image references');
  assert.match(html, /<svg/);
  assert.match(html, /stroke-dasharray="4 3"><title>IRD on<\/title>/, 'the IRD switch is marked on the classifier curves');
  assert.match(html, /classifier \(eps\+\+\), step 3: IRD on after 2 warm-up steps \(eps-cam loss\)/);
  assert.match(html, /classifier \(eps\+\+\): share of pixels left out of the saliency loss/);
  for (const name of ['warmup_dropped', 'ird_dropped']) assert.ok(html.includes(name), `the left-out chart has ${name}`);
  const md = readFileSync(join(run, 'report.md'), 'utf8');
  assert.match(md, /\| WSSS from eps\+\+ pseudo-masks \|/);
});

test('a finished run is not overwritten; --resume of a missing run is a clear error', () => {
  const again = epsx('run', '--quick', '--name', 'q');
  assert.is(again.status, 2);
  assert.match(again.stderr, /already holds a run: use --resume/);
  const missing = epsx('run', '--quick', '--resume', '--name', 'nope');
  assert.is(missing.status, 2);
  assert.match(missing.stderr, /nothing to resume/);
});

test('--labeled-fraction trains SSSS beside WSSS from the same pseudo-masks, its true-mask pixels weighted by segmenter.labeledWeight', () => {
  const config = join(work, 'ssss.json');
  writeFileSync(config, JSON.stringify({ segmenter: { labeledWeight: 3 } }));
  const r = epsx('run', '--quick', '--labeled-fraction', '0.25', '--no-full-bound', '--panels', '0', '--config', config, '--name', 'ss');
  assert.is(r.status, 0, r.stderr);
  const m = JSON.parse(readFileSync(join(work, 'runs', 'ss', 'metrics.json'), 'utf8'));
  assert.equal(Object.keys(m.segmenter).sort(), ['ssss', 'wsss']);
  assert.match(readFileSync(join(work, 'runs', 'ss', 'report.md'), 'utf8'), /\| SSSS, 0\.25 labelled \|/);
});

test('--cls-epochs alone moves the IRD switch with it: two thirds of the epochs warm up, --warmup-epochs still wins', () => {
  const r = epsx('run', '--quick', '--cls-epochs', '3', '--no-full-bound', '--panels', '0', '--name', 'ce');
  assert.is(r.status, 0, r.stderr);
  const config = JSON.parse(readFileSync(join(work, 'runs', 'ce', 'config.json'), 'utf8'));
  assert.is(config.classifier.epochs, 3);
  assert.is(config.classifier.warmupEpochs, 2);
  const events = readFileSync(join(work, 'runs', 'ce', 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => typeof l.event === 'string');
  assert.equal(events.map((e) => e.event), ['IRD on after 8 warm-up steps (eps-cam loss)'], '4 steps an epoch, 2 epochs of warm-up');
  const given = epsx('run', '--quick', '--cls-epochs', '3', '--warmup-epochs', '1', '--no-full-bound', '--panels', '0', '--name', 'cw');
  assert.is(given.status, 0, given.stderr);
  assert.is(JSON.parse(readFileSync(join(work, 'runs', 'cw', 'config.json'), 'utf8')).classifier.warmupEpochs, 1);
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
