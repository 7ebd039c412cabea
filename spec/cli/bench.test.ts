/** `epsx bench`: option errors are one-line user errors; a tiny train-step run prints its table end to end. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { epsx, epsxInProcess, ok, userError } from './helpers.js';

test('bad options: exit 2, one line naming the option', async () => {
  userError(await epsxInProcess('bench', '--only', 'gpu'), '--only', 'kernels, train');
  userError(await epsxInProcess('bench', '--widths', '16,x'), '--widths');
  userError(await epsxInProcess('bench', '--models', 'classifier,detector'), '--models', 'detector');
  userError(await epsxInProcess('bench', '--batch', '0'), '--batch');
  userError(await epsxInProcess('bench', '--only', 'kernels', '--widths', '16'), '--only kernels', '--widths');
});

test('a tiny train-step bench (ours only) runs through the real CLI and prints one row per model and width', () => {
  const r = epsx('bench', '--only', 'train', '--widths', '2,3', '--models', 'classifier', '--batch', '2', '--size', '16', '--steps', '1', '--no-tfjs', '--no-torch', '--threads', '1');
  const out = ok(r, 'epsx bench');
  assert.match(out, /ours = gpu\.js webasm, 1 threads/);
  assert.match(out, /PyTorch: skipped \(--no-torch\)/);
  for (const row of ['classifier w2', 'classifier w3']) assert.match(out, new RegExp(`${row} +\\| +[\\d.]+ ms +[\\d.]+ img/s`));
  assert.match(out, /by process CPU time:/);
});

test.run();
