/**
 * Start `epsx playground --port 0`, open `/?method=eps%2B%2B&steps=N` in headless Chromium and
 * fail unless: at least 30 eps++ steps train, the loss falls (mean of the last 5 steps below the
 * mean of the first 5), every panel canvas is drawn and the image-size ones are not flat, the
 * loss chart has the eps++ colour on it, the kernels of the page's backend agree with the
 * TypeScript references, the backend is named, and no console error or page error occurs.
 * Prints the backend and the steps per second; saves a screenshot.
 *
 *   node --import tsx spec/browser/playground.ts [--backend webgl|webasm] [--steps N] [--screenshot FILE.png]
 *   node --import tsx spec/browser/playground.ts --agree-only [--backend webgl]
 *
 * --agree-only loads the page without training: the kernel check, the backend's name, the
 * first drawing of the panels and the absence of errors (for software WebGL, too slow to train
 * on in a test).
 * EPSX_CLI selects how epsx is started (default: `node dist/cli/main.js` when built, else tsx).
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { closeAndReport, navigate, openPage } from './cdp.js';

const { values: args } = parseArgs({
  options: { backend: { type: 'string' }, steps: { type: 'string', default: '40' }, 'agree-only': { type: 'boolean', default: false }, screenshot: { type: 'string' }, timeout: { type: 'string', default: '600' } },
});
const agreeOnly = args['agree-only'];
const steps = Number(args.steps);
if (!Number.isInteger(steps) || steps < 30) {
  console.error('playground: --steps must be an integer >= 30');
  process.exit(2);
}
const root = resolve(import.meta.dirname, '../..');
const cli = process.env.EPSX_CLI?.split(' ') ?? (existsSync(resolve(root, 'dist/cli/main.js')) ? ['node', 'dist/cli/main.js'] : ['node', '--import', 'tsx', 'cli/main.ts']);
const problems: string[] = [];

const timeout = setTimeout(() => {
  console.error(`playground: timed out after ${args.timeout} s`);
  process.exit(1);
}, Number(args.timeout) * 1000);

const server = spawn(cli[0]!, [...cli.slice(1), 'playground', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((ok, fail) => {
  let out = '';
  server.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /http:\/\/\S+/.exec(out);
    if (m) ok(m[0]);
  });
  server.once('exit', (code) => fail(new Error(`epsx playground exited with ${code} before printing its URL`)));
});

// Chromium's software WebGL (SwiftShader) is what a machine without a GPU offers.
const page = await openPage({ width: 1300, height: 1400, flags: ['--enable-unsafe-swiftshader'] });
const t0 = Date.now();
try {
  await navigate(page, `${url}?method=eps%2B%2B${agreeOnly ? '' : `&steps=${steps}`}${args.backend ? `&backend=${args.backend}` : ''}`);
  type State = { step: string; loss: string; backend: string; agree: string; done: string; curve?: string; stepsPerSecond?: string; error?: string };
  let s: State;
  for (;;) {
    s = await page.evaluate<State>(`({ ...document.getElementById('state').dataset })`);
    const drawn = agreeOnly && s.agree !== '' && (await page.evaluate<boolean>(`document.querySelectorAll('table.panels canvas').length > 0 && [...document.querySelectorAll('table.panels canvas')].every((c) => c.width > 0)`));
    if (s.done === '1' || s.error !== undefined || drawn) break;
    await new Promise((ok) => setTimeout(ok, 1000));
  }
  if (s.error !== undefined) problems.push(`the page failed: ${s.error.split('\n')[0]}`);
  const curve = JSON.parse(s.curve ?? '[]') as number[];
  const backendLine = await page.evaluate<string>(`document.getElementById('backend').textContent`);
  const agreement = await page.evaluate<string>(`document.getElementById('agreement').innerText`);
  console.log(`playground: backend ${backendLine}`);
  console.log(`playground: ${agreement.split('\n')[0]}`);
  if (!agreeOnly) {
    console.log(`playground: ${s.step} eps++ steps, loss ${curve.slice(0, 3).join(', ')} ... ${curve.slice(-3).join(', ')}; ${s.stepsPerSecond} steps/s of training (${((Date.now() - t0) / 1000).toFixed(0)} s in all)`);
    if (Number(s.step) < 30 || curve.length !== Number(s.step)) problems.push(`trained ${s.step} steps (curve of ${curve.length}), expected at least 30`);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    if (!(mean(curve.slice(-5)) < mean(curve.slice(0, 5)))) problems.push(`the loss did not fall: first 5 ${curve.slice(0, 5)}, last 5 ${curve.slice(-5)}`);
  }
  if (!s.backend || !backendLine.startsWith(s.backend)) problems.push(`backend not named on the page (data-backend ${s.backend}, text ${backendLine})`);
  if (args.backend && s.backend !== args.backend) problems.push(`asked for backend ${args.backend}, the page runs ${s.backend}`);
  if (s.agree !== 'ok') problems.push(`kernels disagree with the references on ${s.backend}:\n${agreement}`);

  // Canvases: every panel drawn (sized, opaque); the image-size panels and the maps not flat.
  const canvases = await page.evaluate<Array<{ title: string; w: number; h: number; opaque: boolean; colours: number }>>(`(() => {
    const titles = [...document.querySelectorAll('table.panels tr:first-child th b')].map((b) => b.textContent);
    return [...document.querySelectorAll('table.panels canvas')].map((c, i) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      let opaque = true;
      for (let p = 0; p < d.length; p += 4) { seen.add((d[p] << 16) | (d[p + 1] << 8) | d[p + 2]); if (d[p + 3] !== 255) opaque = false; }
      return { title: titles[i % titles.length], w: c.width, h: c.height, opaque, colours: seen.size };
    });
  })()`);
  if (canvases.length < 16) problems.push(`expected 2 images x 8 panels, found ${canvases.length} canvases`);
  for (const c of canvases) {
    if (c.w === 0 || c.h === 0 || !c.opaque) problems.push(`panel ${c.title} is not drawn (${c.w}x${c.h}, opaque ${c.opaque})`);
    else if (['image', 'saliency', 'truth', ...(agreeOnly ? [] : ['M_fg', 'M_r'])].includes(c.title) && c.colours < 2) problems.push(`panel ${c.title} is blank (one colour)`);
  }
  const lossInk = await page.evaluate<number>(`(() => { const c = document.getElementById('loss'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0; for (let p = 0; p < d.length; p += 4) if (d[p + 3] > 0 && d[p] > 150 && d[p + 1] < 90 && d[p + 2] < 90) n++; return n; })()`);
  if (!agreeOnly && lossInk < 50) problems.push(`the loss chart shows no eps++ curve (${lossInk} red pixels)`);

  if (args.screenshot) {
    const png = await page.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
    writeFileSync(args.screenshot, Buffer.from(png.data as string, 'base64'));
    console.log(`playground: screenshot ${args.screenshot}`);
  }
} catch (e) {
  problems.push((e as Error).message);
} finally {
  clearTimeout(timeout);
  await closeAndReport('playground', page, problems);
  server.kill('SIGINT');
}
if (problems.length === 0) console.log(`playground: ok (${agreeOnly ? '' : 'loss falls, '}panels drawn, kernels agree, no console or page errors)`);
