/**
 * The package's browser entry as a consumer uses it: bundle a small app that imports the entry
 * (dist/browser/epsx.js, built here from the sources) with esbuild for the browser, load it in
 * headless Chromium, and fail unless a gradient comes out right, the automatic backend is named,
 * a convolution on it matches the reference backend, a file function throws its one-line error,
 * and no console or page error occurs.
 *
 *   node --import tsx spec/browser/playground-entry.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildBundle } from '../../cli/playground/bundle.js';
import { closeAndReport, navigate, openPage } from './cdp.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'epsx-entry-'));
const problems: string[] = [];
const timeout = setTimeout(() => {
  console.error('playground-entry: timed out after 300 s');
  process.exit(1);
}, 300_000);

writeFileSync(join(dir, 'epsx.js'), await buildBundle('epsx'));
writeFileSync(
  join(dir, 'app.js'),
  `import * as e from './epsx.js';
const x = e.tensor([1, -2, 3], [3], { requiresGrad: true });
x.mul(e.tensor([2, 2, 2], [3])).relu().mean().backward();
const backend = e.setBackend('auto').backend;
const input = () => e.tensor(Array.from({ length: 2 * 3 * 5 * 5 }, (_, i) => Math.sin(i)), [2, 3, 5, 5]);
const weight = () => e.tensor(Array.from({ length: 4 * 3 * 3 * 3 }, (_, i) => Math.cos(i)), [4, 3, 3, 3]);
const y = e.conv2d(input(), weight(), null, { padding: 1 });
e.setBackend('reference');
const r = e.conv2d(input(), weight(), null, { padding: 1 });
let thrown = '';
try { e.readCheckpoint('model.safetensors'); } catch (err) { thrown = err.message; }
window.result = { grad: Array.from(x.grad.data), backend, diff: Math.max(...Array.from(y.data, (v, i) => Math.abs(v - r.data[i]))), thrown };
`,
);
const esbuild = await import('esbuild');
// gpu.js is left to the consumer's bundler: resolved from this project's node_modules, browser build
await esbuild.build({ entryPoints: [join(dir, 'app.js')], bundle: true, format: 'esm', platform: 'browser', outfile: join(dir, 'out.js'), nodePaths: [join(root, 'node_modules')], logLevel: 'error' });
writeFileSync(join(dir, 'index.html'), '<!doctype html><link rel="icon" href="data:,"><script type="module" src="out.js"></script>');

const server = createServer(async (req, res) => {
  const file = req.url === '/' ? 'index.html' : 'out.js';
  res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(await readFile(join(dir, file)));
});
await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
const page = await openPage({ width: 800, height: 600, flags: ['--enable-unsafe-swiftshader'] });
try {
  await navigate(page, `http://127.0.0.1:${(server.address() as { port: number }).port}/`);
  type Result = { grad: number[]; backend: string; diff: number; thrown: string };
  let result: Result | null = null;
  for (let i = 0; i < 600 && result === null && page.problems.length === 0; i++) {
    result = await page.evaluate<Result | null>('window.result ?? null');
    if (result === null) await new Promise((ok) => setTimeout(ok, 100));
  }
  if (result === null) problems.push('the app did not finish');
  else {
    console.log(`playground-entry: backend ${result.backend}, conv max |diff| vs reference ${result.diff.toExponential(2)}, file functions throw: ${result.thrown}`);
    if (result.grad.map((g) => g.toFixed(6)).join() !== ['0.666667', '0.000000', '0.666667'].join()) problems.push(`wrong gradient ${result.grad}`);
    if (!['webgl', 'webasm', 'cpu'].includes(result.backend)) problems.push(`unexpected backend ${result.backend}`);
    if (!(result.diff < 1e-4)) problems.push(`conv2d on ${result.backend} differs from the reference by ${result.diff}`);
    if (!/needs Node/.test(result.thrown)) problems.push(`readCheckpoint should say it needs Node, said: ${result.thrown}`);
  }
} catch (e) {
  problems.push((e as Error).message);
} finally {
  clearTimeout(timeout);
  await closeAndReport('playground-entry', page, problems);
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
if (problems.length === 0) console.log('playground-entry: ok (the browser entry bundles, loads and computes in Chromium)');
