/**
 * Installs the packed tarball into a fresh Node ESM project, like a consumer would:
 * plain JavaScript imports the API and runs gradients (functional and chained) and a PAMR
 * call, and a small TypeScript consumer type-checks against the shipped declarations.
 * Packing runs the build (`prepare`), so the CLI's run bit is checked here too.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'epsx-consumer-'));
const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let tarball = '';

test('npm pack ships the build, not tests, benchmarks or runs', () => {
  const out = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root)) as Array<{ filename: string; size: number; files: Array<{ path: string }> }>;
  const info = out[0]!;
  tarball = join(work, info.filename);
  const paths = info.files.map((f) => f.path);
  assert.ok(paths.includes('dist/lib/index.js') && paths.includes('dist/lib/index.d.ts'), 'entry point and types shipped');
  assert.ok(paths.includes('dist/cli/main.js'), 'CLI shipped');
  // The shipped code's comments cite docs/*.md, so the written docs travel with it (not the generated API reference)
  assert.ok(['docs/method.md', 'docs/architecture.md', 'docs/formats.md'].every((p) => paths.includes(p)), 'docs shipped');
  assert.ok(!paths.some((p) => p.startsWith('docs/api')), 'no generated API reference');
  const unwanted = paths.filter((p) => /^(spec|bench|runs|lib|ops|models|cli)\//.test(p) || p.endsWith('.ts') && !p.endsWith('.d.ts'));
  assert.equal(unwanted, [], 'no sources, tests, benchmarks or run outputs');
  console.log(`tarball ${info.filename}: ${(info.size / 1024).toFixed(1)} KiB packed, ${paths.length} files`);
});

test('the build keeps the CLI executable, so npx epsx runs in a working copy', () => {
  // npm pack has just run `prepare` (npm run build), which empties dist/ and compiles anew.
  const mode = statSync(join(root, 'dist/cli/main.js')).mode;
  assert.ok((mode & 0o111) === 0o111, `dist/cli/main.js mode ${(mode & 0o777).toString(8)}`);
  assert.match(run(join(root, 'dist/cli/main.js'), ['--help'], root), /epsx/);
});

test('plain JavaScript consumer: gradient and PAMR', () => {
  const app = join(work, 'app');
  run('mkdir', ['-p', app], work);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], app);
  writeFileSync(
    join(app, 'main.mjs'),
    `import { tensor, mul, sum, exp, pamr, ones } from 'epsx';
const x = tensor([0.5, -1, 2], [3], { requiresGrad: true });
sum(mul(exp(x), x)).backward();
const image = tensor(Array.from({ length: 3 * 5 * 5 }, (_, i) => (i % 7) / 7), [1, 3, 5, 5]);
const mask = ones([1, 2, 5, 5]);
const refined = pamr(image, mask, { dilations: [1, 2], iterations: 3 });
const a = tensor([1, -2, 3], [3], { requiresGrad: true });
a.sum().backward();
const b = tensor([1, -2, 3, -4], [2, 2], { requiresGrad: true });
const y = tensor([2, 2, -1, -1], [2, 2]);
const m = b.mul(y).relu().mean();
m.backward();
console.log(JSON.stringify({ grad: x.grad.toArray(), shape: refined.shape, max: Math.max(...refined.data), sumGrad: a.grad.toArray(), mean: m.item(), chainGrad: b.grad.toArray() }));
`,
  );
  const result = JSON.parse(run('node', ['main.mjs'], app)) as { grad: number[]; shape: number[]; max: number; sumGrad: number[]; mean: number; chainGrad: number[] };
  [0.5, -1, 2].forEach((v, i) => assert.ok(Math.abs(result.grad[i]! - (1 + v) * Math.exp(v)) < 1e-4));
  assert.equal(result.sumGrad, [1, 1, 1], 'x.sum().backward()');
  // relu(b*y) = [2, 0, 0, 4] -> mean 1.5; d/db = y/4 where b*y > 0
  assert.is(result.mean, 1.5, 'x.mul(y).relu().mean()');
  assert.equal(result.chainGrad, [0.5, 0, 0, -0.25]);
  assert.equal(result.shape, [1, 2, 5, 5]);
  assert.ok(Math.abs(result.max - 1) < 1e-5, 'a constant mask is a fixed point of PAMR');
});

test('TypeScript consumer type-checks against the shipped declarations', () => {
  const app = join(work, 'app');
  writeFileSync(
    join(app, 'main.ts'),
    `import { tensor, mul, sum, type Tensor } from 'epsx';
const x: Tensor = tensor([1, 2], [2], { requiresGrad: true });
const y: Tensor = sum(mul(x, x));
y.backward();
const g: Float32Array | Float64Array | undefined = x.grad?.data;
x.sum().backward();
const y2 = tensor([3, -1], [2]);
const chained: Tensor = x.mul(y2).relu().mean();
const n: number = chained.item();
export { g, n };
`,
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: [] }, files: ['main.ts'] }),
  );
  run(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], app);
  // a wrong type must be caught, or the check above proves nothing: a chain's result is a
  // Tensor (not a string), and a method that does not exist is an error
  for (const wrong of [`const s: string = tensor([1], [1]).mul(2).relu();`, `tensor([1], [1]).mull(2);`]) {
    writeFileSync(join(app, 'main.ts'), `import { tensor } from 'epsx';\n${wrong}\nexport {};\n`);
    assert.throws(() => run(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], app), wrong);
  }
});

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
