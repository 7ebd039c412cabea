/** Backend selection: auto picks a working backend, unavailable ones fail with one clear line. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UserError, conv2d, getBackend, setBackend, type BackendName } from '../../lib/index.js';
import { unavailableReason, webgpuUnavailableReason } from '../../lib/core/backend.js';
import { seeded } from './helpers.js';

test('auto picks the best working synchronous backend and says which', () => {
  const info = setBackend('auto');
  assert.ok(['headlessgl', 'webasm', 'cpu', 'reference'].includes(info.backend));
  assert.ok(info.message.startsWith(`backend auto -> ${info.backend}`), info.message);
  assert.not.match(info.message, /\n/);
  if (unavailableReason('webasm') === null && unavailableReason('headlessgl') !== null) assert.is(info.backend, 'webasm');
  assert.is(getBackend(), info);
});

test('unavailable backends throw a one-line UserError with the reason, never crash', () => {
  for (const name of ['webgpu', 'headlessgl'] as const) {
    const why = unavailableReason(name);
    if (why === null) continue;
    assert.throws(() => setBackend(name), (e: Error) => e instanceof UserError && e.message === `backend ${name} is unavailable: ${why}` && !e.message.includes('\n'));
  }
  assert.throws(() => setBackend('metal' as BackendName), (e: Error) => e instanceof UserError && /unknown backend "metal"/.test(e.message));
  setBackend('auto');
});

test('webgpu probe resolves to a reason or null (adapter present)', async () => {
  const why = await webgpuUnavailableReason();
  assert.ok(why === null || (typeof why === 'string' && !why.includes('\n')));
  if (why !== null) console.log(`  (webgpu here: ${why})`);
});

test('engine ops run on every selectable backend', () => {
  const x = seeded([1, 2, 5, 5], 1);
  const w = seeded([3, 2, 3, 3], 2);
  for (const name of ['reference', 'cpu', 'webasm'] as const) {
    if (unavailableReason(name) !== null) continue;
    assert.is(setBackend(name).backend, name);
    assert.equal(conv2d(x, w, null, { padding: 1 }).shape, [1, 3, 5, 5]);
  }
  setBackend('auto');
});

test.run();
