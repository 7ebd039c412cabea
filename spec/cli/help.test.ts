/** Help text of epsx and of each stage command; quiet exit when stdout is closed early (| head). */
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { epsx, ok } from './helpers.js';

const root = new URL('../..', import.meta.url).pathname;

/** Options each command's help must list (beyond --help), and the command's own name in its examples. */
const COMMANDS: Record<string, string[]> = {
  synth: ['--out', '--train', '--val', '--size', '--classes', '--seed'],
  saliency: ['--data', '--out'],
  'train-cls': ['--data', '--method', '--out', '--epochs', '--batch-size', '--lr', '--seed', '--width', '--log', '--backend'],
  pseudo: ['--data', '--ckpt', '--out', '--split', '--scales', '--bg-threshold', '--pamr', '--backend'],
  inspect: ['--data', '--ckpt', '--out', '--size', '--scales', '--bg-threshold', '--pamr', '--backend'],
  'train-seg': ['--data', '--masks', '--labeled-fraction', '--full', '--out', '--epochs', '--batch-size', '--lr', '--seed', '--width', '--log', '--backend'],
  eval: ['--data', '--ckpt', '--split', '--out', '--backend'],
  predict: ['--ckpt', '--out', '--backend'],
};

test('epsx --help lists every command', () => {
  const out = ok(epsx('--help'), 'epsx --help');
  for (const name of Object.keys(COMMANDS)) assert.match(out, new RegExp(`^\\s+${name}\\b.*\\S`, 'm'), name);
});

for (const [name, options] of Object.entries(COMMANDS)) {
  test(`epsx ${name} --help lists its options and examples`, () => {
    const out = ok(epsx(name, '--help'), `${name} --help`);
    assert.match(out, new RegExp(`Usage:\\s+\\$ epsx ${name}`));
    for (const o of options) assert.match(out, new RegExp(`^\\s+${o}\\b.*\\S{3}`, 'm'), `${name} --help should describe ${o}`);
    const examples = out.split('Examples:')[1] ?? '';
    assert.ok(examples.includes(`epsx ${name} `), `${name} --help should show examples:\n${out}`);
  });
}

test('a reader that closes the pipe early (| head) gets a quiet exit, not an EPIPE crash', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'train-seg', '--help'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy(); // closed before the first write
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.is(stderr, '');
  assert.is(code, 0);
});

test.run();
