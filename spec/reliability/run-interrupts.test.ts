/**
 * A stop request (what Ctrl-C sets) during any stage of `epsx run` - classifier training,
 * pseudo-mask generation, segmenter training, evaluation, the fully supervised bound - stops
 * the run with an Interrupted that names where, keeps what is finished, and --resume goes on
 * from there. Interrupting at every stage in turn and resuming each time ends with exactly
 * the metrics and step log of an uninterrupted run. In-process: the stop request comes from
 * the progress reporter, so it lands in a chosen stage deterministically (the signal path
 * itself is tested through the real process in sigint.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mergeConfig, quickPreset, runDefaults, validateRunConfig, type RunConfig } from '../../lib/pipeline/config.js';
import { runPipeline } from '../../lib/pipeline/run.js';
import { Interrupted } from '../../lib/pipeline/interrupted.js';
import type { ProgressReporter } from '../../lib/progress.js';
import { cleanup, tempDir } from '../cli/helpers.js';

const out = join(tempDir(), 'runs');
const config = (name: string): RunConfig => validateRunConfig(mergeConfig(mergeConfig(runDefaults, quickPreset, 'quick'), { out, name, panels: 1 }, 'test'), 'test');

/** Progress that asks to stop once `label`'s task has ticked `after` times. */
function stopIn(label: string, after = 1): { progress: ProgressReporter; shouldStop: () => boolean } {
  let ticks = 0;
  let current = '';
  return {
    progress: { start: (l) => ((current = l), { tick: (n = 1) => void (l === label && (ticks += n)), done: () => {} }) },
    shouldStop: () => current === label && ticks >= after,
  };
}

const metricsOf = (name: string) => {
  const m = JSON.parse(readFileSync(join(out, name, 'metrics.json'), 'utf8'));
  delete m.timings;
  delete m.seconds;
  return m;
};
const stepsOf = (name: string) =>
  readFileSync(join(out, name, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .map((r) => `${r.stage}#${r.step}`);

test('stop in each stage in turn, resume each time: same metrics and log as one uninterrupted run', async () => {
  await runPipeline(config('straight'));
  const stops: Array<[string, number, RegExp]> = [
    ['classifier (eps++)', 2, /^classifier \(eps\+\+\) interrupted at epoch 1, batch 3; state saved$/],
    ['pseudo-masks', 8, /^pseudo-masks \(eps\+\+\) interrupted after 8 of 16 images/],
    ['segmenter (wsss)', 1, /^segmenter \(wsss\) interrupted at epoch 1, batch 2; state saved$/],
    ['evaluate', 1, /^interrupted before segmenter-full; the stages done so far are saved$/],
    ['segmenter (full)', 3, /^segmenter \(full\) interrupted at epoch 1, batch 4; state saved$/],
  ];
  for (const [i, [label, after, message]] of stops.entries()) {
    const hooks = stopIn(label, after);
    try {
      await runPipeline(config('cut'), { ...hooks, resume: i > 0, sideBySide: false });
      assert.unreachable(`no stop in ${label}`);
    } catch (e) {
      assert.instance(e, Interrupted, `stop in ${label}: ${(e as Error).stack}`);
      assert.match((e as Error).message, message);
    }
  }
  const done = await runPipeline(config('cut'), { resume: true });
  assert.equal(metricsOf('cut'), metricsOf('straight'));
  assert.equal(stepsOf('cut'), stepsOf('straight'), 'the log reads as one run: every step once, in order');
  assert.is(done.dir, join(out, 'cut'));
});

/**
 * Side by side (the default where there are two cores): stop once `label`'s task has ticked
 * `after` times (whichever thread ticks it), expect `message`, resume, and compare with `straight`.
 */
async function stopSideBySide(run: RunConfig, label: string, after: number, message: RegExp, straight: string): Promise<void> {
  let ticks = 0;
  const hooks = {
    progress: { start: (l: string) => ({ tick: (n = 1) => void (l === label && (ticks += n)), done: () => {} }) },
    shouldStop: () => ticks >= after,
  };
  try {
    await runPipeline(run, hooks);
    assert.unreachable(`no stop in ${label}`);
  } catch (e) {
    assert.instance(e, Interrupted, (e as Error).stack);
    assert.match((e as Error).message, message);
  }
  await runPipeline(run, { resume: true });
  assert.equal(metricsOf(run.name), metricsOf(straight));
  assert.equal(stepsOf(run.name), stepsOf(straight), 'the log reads as one run: every step once, in order');
}

test('a stop while two segmenters train side by side stops both; resuming ends as one uninterrupted run', async () => {
  // the straight run above trained them side by side too
  await stopSideBySide(config('side'), 'segmenter (wsss)', 2, /^segmenter \((wsss|full)\) interrupted at epoch 1, batch \d; state saved$/, 'straight');
});

test('a stop while the two halves of the pseudo-masks are made side by side stops both; resuming ends as one uninterrupted run', async () => {
  // 40 train images: this thread makes 24 (3 chunks), a worker 16 (2 chunks)
  const more = (name: string) => validateRunConfig(mergeConfig(config(name), { synthetic: { train: 40 } }, 'test'), 'test');
  await runPipeline(more('straight-40'), { sideBySide: false });
  await stopSideBySide(more('halves'), 'pseudo-masks', 8, /^pseudo-masks \(eps\+\+\) interrupted after \d+ of 40 images/, 'straight-40');
});

test.after(cleanup);
test.run();
