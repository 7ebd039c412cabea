/**
 * The built CLI starts heavy commands again with the Node flags they need (cli/relaunch.ts):
 * the second process gets the flags and the arguments, its exit code comes back, a signal to
 * the first reaches it exactly once, and light commands, runs from source and runs
 * with EPSX_NODE_FLAGS=off are not started again.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NODE_FLAGS, relaunch } from '../../cli/relaunch.js';
import { cleanup, tempDir } from './helpers.js';

const dir = tempDir();
const out = join(dir, 'seen.json');
// stands in for dist/cli/main.js: records how it was started; on SIGINT records that and exits 130
const script = join(dir, 'main.js');
writeFileSync(script, `
const { writeFileSync } = require('node:fs');
const seen = { execArgv: process.execArgv, argv: process.argv.slice(2), parent: process.env.EPSX_PARENT_PID, sigints: 0 };
const save = () => writeFileSync(${JSON.stringify(out)}, JSON.stringify(seen));
save();
if (process.argv[3] === 'wait') {
  process.on('SIGINT', () => { seen.sigints++; save(); setTimeout(() => process.exit(130), 200); });
  setTimeout(() => process.exit(3), 20000);
} else process.exit(7);
`);
const seen = () => JSON.parse(readFileSync(out, 'utf8')) as { execArgv: string[]; argv: string[]; parent: string; sigints: number };

test('a heavy command runs again with the flags and the arguments; its exit code comes back', async () => {
  const done = relaunch([process.execPath, script, 'run', 'x', '--name', 'a b'], 'file:///pkg/dist/cli/main.js');
  assert.ok(done, 'relaunched');
  assert.is(await done, 7);
  const s = seen();
  for (const f of NODE_FLAGS) assert.ok(s.execArgv.includes(f), `${f} in ${s.execArgv}`);
  assert.equal(s.argv, ['run', 'x', '--name', 'a b']);
  assert.is(s.parent, String(process.pid));
});

test('a SIGINT to this process reaches the second one once', async () => {
  const done = relaunch([process.execPath, script, 'run', 'wait'], 'file:///pkg/dist/cli/main.js')!;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      if (seen().argv[1] === 'wait') break;
    } catch {
      // not written yet
    }
  }
  process.kill(process.pid, 'SIGINT');
  assert.is(await done, 130);
  assert.is(seen().sigints, 1);
});

test('not started again: light commands, source runs, EPSX_NODE_FLAGS=off', () => {
  assert.is(relaunch([process.execPath, script, 'synth'], 'file:///pkg/dist/cli/main.js'), null);
  assert.is(relaunch([process.execPath, script, '--help'], 'file:///pkg/dist/cli/main.js'), null);
  assert.is(relaunch([process.execPath, script, 'run'], 'file:///pkg/cli/main.ts'), null);
  process.env.EPSX_NODE_FLAGS = 'off';
  try {
    assert.is(relaunch([process.execPath, script, 'run'], 'file:///pkg/dist/cli/main.js'), null);
  } finally {
    delete process.env.EPSX_NODE_FLAGS;
  }
});

test.after(cleanup);
test.run();
