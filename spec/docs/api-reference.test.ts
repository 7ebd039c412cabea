/**
 * The API reference builds from the TSDoc without a single warning (`npm run docs:api`:
 * declarations, API Extractor, then docs/api-markdown.ts), and has a page for every
 * exported name, including names that differ only in case (the Tensor class and the tensor
 * function), with the chainable methods listed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('../..', import.meta.url).pathname;
const out = join(root, 'docs/api/reference');

test('npm run docs:api succeeds and prints no warning', () => {
  let output: string;
  try {
    output = execFileSync('npm', ['run', '--silent', 'docs:api'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    // The usual causes: a type that an exported signature uses is not exported from lib/index.ts
    // (ae-forgotten-export), or TSDoc prose with {braces}, <angles> or @ outside `code spans`.
    throw new Error(`docs:api failed (see docs/architecture.md#the-api-reference):\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
  assert.not.match(output, /warning/i, output);
  assert.match(output, /API Extractor completed successfully/);
});

test('every exported name has its page, names differing only in case included', () => {
  assert.ok(existsSync(out), 'no reference was written (see the failure above)');
  const pages = new Set(readdirSync(out));
  for (const p of ['index.md', 'class.Tensor.md', 'function.tensor.md', 'class.Conv2d.md', 'function.conv2d.md', 'interface.TensorMethods.md', 'function.irdSaliencyLoss.md']) {
    assert.ok(pages.has(p), `${p} missing`);
  }
  const index = readFileSync(join(out, 'index.md'), 'utf8');
  const linked = [...index.matchAll(/\]\(\.\/([^)]+)\)/g)].map((m) => m[1]!);
  assert.ok(linked.length > 150, `index links ${linked.length} pages`);
  assert.equal(linked.filter((l) => !existsSync(join(out, l))), [], 'index links only pages that exist');
  const methods = readFileSync(join(out, 'interface.TensorMethods.md'), 'utf8');
  for (const m of ['add', 'mul', 'relu', 'sum', 'mean', 'matmul', 'softmax', 'conv2d']) assert.match(methods, new RegExp(`^### ${m}$`, 'm'), m);
  assert.match(methods, /\]\(\.\/function\.mul\.md\)/, 'a method links its function');
});

test.run();
