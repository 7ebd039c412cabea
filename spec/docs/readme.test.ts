/**
 * The README's TypeScript examples stay true: every ```ts block type-checks against the
 * sources (strict, as a consumer would write it), and the quick ones (no top-level await:
 * the training example is only type-checked) run, printing what their `// value` comments say.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'epsx-readme-'));
const blocks = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
// The examples import the package by name; here that name is the sources' entry point.
// They are ES modules, as in a consumer's project (the training example awaits at top level).
writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module' }));
const files = blocks.map((code, i) => {
  const file = join(work, `example-${i + 1}.ts`);
  writeFileSync(file, code.replaceAll(`from 'epsx'`, `from '${join(root, 'lib/index.js')}'`));
  return file;
});

test('the README has examples in both styles', () => {
  assert.ok(blocks.length >= 3, `${blocks.length} ts blocks`);
  assert.ok(blocks.some((b) => /\bsum\(mul\(/.test(b)), 'functional');
  assert.ok(blocks.some((b) => /\.mul\([^)]*\)\.relu\(\)/.test(b)), 'chained');
});

test('every example type-checks (strict)', () => {
  const options = {
    strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', noEmit: true, skipLibCheck: true,
    types: ['node'], typeRoots: [join(root, 'node_modules/@types')],
  };
  writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files }));
  try {
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(work, 'tsconfig.json')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    assert.unreachable(`README examples do not type-check:\n${(e as { stdout?: string }).stdout ?? e}`);
  }
});

/** Parse a printed value or a `// value` comment as JSON where it is one (arrays, numbers). */
function value(text: string): unknown {
  try {
    return JSON.parse(text.trim());
  } catch {
    return undefined;
  }
}

test('the quick examples run and print what their comments say', () => {
  let checked = 0;
  files.forEach((file, i) => {
    if (/^await /m.test(blocks[i]!)) return;
    const out = execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', env: { ...process.env, EPSX_THREADS: '1' } });
    const printed = out.trim().split('\n').filter(Boolean);
    const expected = blocks[i]!.split('\n').filter((l) => l.includes('console.log(')).map((l) => /\/\/\s*(.*)$/.exec(l)?.[1] ?? '');
    assert.is(printed.length, expected.length, `example ${i + 1}: one line per console.log`);
    expected.forEach((comment, k) => {
      const want = value(comment);
      if (want === undefined) return; // prose, e.g. "(1 + x) e^x"
      const got = value(printed[k]!);
      const close = (a: unknown, b: unknown): boolean =>
        Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((v, j) => close(v, b[j])) : typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));
      assert.ok(close(got, want), `example ${i + 1}, line ${k + 1}: printed ${printed[k]}, the comment says ${comment}`);
      checked++;
    });
  });
  assert.ok(checked >= 2, `${checked} printed values checked`);
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
