/**
 * `epsx playground` without a browser: it serves the page and a bundle with no Node-only
 * module in it, and a port in use or a bad --port is a one-line user error (exit code 2).
 * The page itself is driven in Chromium by spec/browser/playground.ts (spec/browser/check.sh).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../../cli/app.js';

const root = new URL('../..', import.meta.url).pathname;

function start(args: string[]): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'playground', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = new Promise<string>((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/\S+/.exec(out);
      if (m) ok(m[0]);
    });
    child.once('exit', (code) => fail(new Error(`exited with ${code}: ${out}`)));
  });
  return { child, url };
}

test('serves the page, its script (no Node-only code), 404 elsewhere; SIGINT stops it with exit code 0', async () => {
  const { child, url } = start(['--port', '0']);
  try {
    const base = await url;
    const page = await fetch(base);
    assert.is(page.status, 200);
    const html = await page.text();
    assert.match(html, /id="state" data-step="0" data-loss="" data-backend=""/);
    assert.match(html, /<script type="module" src="playground.js">/);
    const script = await fetch(`${base}playground.js`);
    assert.is(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    const js = await script.text();
    assert.ok(js.length > 100_000, `bundle of ${js.length} bytes`);
    // gpu.js's browser build, and none of the Node-only modules the bundle swaps out (their strings: the
    // thread pool's worker file and variable, the Dawn binary's name, any node: import)
    assert.match(js, /WebGL2/);
    assert.not.match(js, /thread-worker\.|EPSX_THREADS|dawn\.node|["']node:/);
    assert.is((await fetch(`${base}nope`)).status, 404);
  } finally {
    const exited = new Promise<number | null>((ok) => child.once('exit', ok));
    child.kill('SIGINT');
    assert.is(await exited, 0);
  }
});

test('a port in use and a bad --port are one-line errors with exit code 2', async () => {
  const blocker = createServer();
  await new Promise<void>((ok) => blocker.listen(0, '127.0.0.1', ok));
  const port = (blocker.address() as { port: number }).port;
  try {
    const lines: string[] = [];
    assert.is(await runCli(['node', 'epsx', 'playground', '--port', String(port)], (t) => void lines.push(t)), 2);
    assert.equal(lines, [`epsx: --port ${port}: the port is in use (--port 0 picks a free one)\n`]);
    lines.length = 0;
    assert.is(await runCli(['node', 'epsx', 'playground', '--port', '70000'], (t) => void lines.push(t)), 2);
    assert.equal(lines, ['epsx: --port must be an integer in 0..65535, got 70000\n']);
  } finally {
    blocker.close();
  }
});

test.run();
