/**
 * Render a run's report.html in headless Chromium and fail on console errors, page errors or
 * images that did not decode; save a screenshot beside the report. Talks the DevTools
 * protocol over --remote-debugging-pipe (fds 3 and 4), so no driver package is needed.
 *
 *   node --import tsx spec/browser/check-report.ts runs/<name>/report.html [screenshot.png]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable, Writable } from 'node:stream';

const [reportArg, shotArg] = process.argv.slice(2);
if (!reportArg) {
  console.error('usage: check-report.ts REPORT.html [SCREENSHOT.png]');
  process.exit(2);
}
const report = resolve(reportArg);
const shot = resolve(shotArg ?? report.replace(/\.html$/, '.png'));
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const profile = mkdtempSync(join(tmpdir(), 'epsx-chromium-'));
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank'];
const browser = spawn(chromium, flags, { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
const toBrowser = browser.stdio[3] as Writable;
const fromBrowser = browser.stdio[4] as Readable;

type Message = { id?: number; method?: string; params?: Record<string, any>; result?: Record<string, any>; error?: { message: string }; sessionId?: string };
const pending = new Map<number, (m: Message) => void>();
const problems: string[] = [];
let nextId = 1;
let buffered = '';

fromBrowser.on('data', (chunk: Buffer) => {
  buffered += chunk.toString('utf8');
  let end: number;
  while ((end = buffered.indexOf('\0')) >= 0) {
    const msg = JSON.parse(buffered.slice(0, end)) as Message;
    buffered = buffered.slice(end + 1);
    if (msg.id !== undefined) pending.get(msg.id)?.(msg);
    else if (msg.method === 'Runtime.exceptionThrown') problems.push(`page error: ${msg.params!.exceptionDetails.exception?.description ?? msg.params!.exceptionDetails.text}`);
    else if (msg.method === 'Runtime.consoleAPICalled' && ['error', 'assert'].includes(msg.params!.type)) problems.push(`console.${msg.params!.type}: ${msg.params!.args.map((a: any) => a.value ?? a.description).join(' ')}`);
    else if (msg.method === 'Log.entryAdded' && msg.params!.entry.level === 'error') problems.push(`log error: ${msg.params!.entry.text} ${msg.params!.entry.url ?? ''}`);
  }
});

function send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, any>> {
  const id = nextId++;
  toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
  return new Promise((ok, fail) =>
    pending.set(id, (m) => (m.error ? fail(new Error(`${method}: ${m.error.message}`)) : ok(m.result ?? {}))),
  );
}

const timeout = setTimeout(() => {
  console.error('check-report: timed out after 60 s');
  browser.kill('SIGKILL');
  process.exit(1);
}, 60_000);

try {
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  for (const domain of ['Page', 'Runtime', 'Log']) await send(`${domain}.enable`, {}, sessionId);
  await send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 2000, deviceScaleFactor: 1, mobile: false }, sessionId);
  const loaded = new Promise<void>((ok) => {
    const check = setInterval(async () => {
      const r = await send('Runtime.evaluate', { expression: 'document.readyState', returnByValue: true }, sessionId);
      if (r.result.value === 'complete') {
        clearInterval(check);
        ok();
      }
    }, 100);
  });
  await send('Page.navigate', { url: pathToFileURL(report).href }, sessionId);
  await loaded;
  const images = await send(
    'Runtime.evaluate',
    { expression: 'JSON.stringify([...document.images].map(i => ({ src: i.dataset.src || i.src.slice(0, 40), ok: i.complete && i.naturalWidth > 0 })))', returnByValue: true },
    sessionId,
  );
  const list = JSON.parse(images.result.value as string) as Array<{ src: string; ok: boolean }>;
  for (const img of list) if (!img.ok) problems.push(`image did not load: ${img.src}`);
  const svgs = await send('Runtime.evaluate', { expression: 'document.querySelectorAll("svg").length', returnByValue: true }, sessionId);
  const png = await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId);
  writeFileSync(shot, Buffer.from(png.data as string, 'base64'));
  console.log(`check-report: ${list.length} images, ${svgs.result.value} charts, screenshot ${shot}`);
  if (list.length === 0) problems.push('the report shows no images');
} catch (e) {
  problems.push((e as Error).message);
} finally {
  clearTimeout(timeout);
  const exited = new Promise((ok) => browser.once('exit', ok));
  browser.kill();
  await exited; // chromium writes its profile until it is gone
  rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
}
for (const p of problems) console.error(`check-report: ${p}`);
process.exitCode = problems.length > 0 ? 1 : 0;
if (problems.length === 0) console.log('check-report: no console errors, every image decoded');
