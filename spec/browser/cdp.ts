/**
 * Headless Debian Chromium driven over the DevTools protocol on --remote-debugging-pipe (fds 3
 * and 4), so no driver package is needed. Collects console errors, page errors and error log
 * entries of the page as `problems`. Used by check-report.ts and playground.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

type Message = { id?: number; method?: string; params?: Record<string, any>; result?: Record<string, any>; error?: { message: string }; sessionId?: string };

export interface Page {
  /** Call a DevTools method on the page's session. */
  send(method: string, params?: Record<string, unknown>): Promise<Record<string, any>>;
  /** Evaluate an expression in the page and return its value (JSON-serialisable). */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /** Console errors, page errors and error log entries so far. */
  problems: string[];
  /** Stop Chromium and remove its profile. */
  close(): Promise<void>;
}

/**
 * Start Chromium with one blank page of the given size. `flags` are added to the defaults
 * (headless, no sandbox, no GPU process, no network chatter).
 */
export async function openPage(opts: { width: number; height: number; flags?: string[] }): Promise<Page> {
  const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
  const profile = mkdtempSync(join(tmpdir(), 'epsx-chromium-'));
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...(opts.flags ?? []), '--remote-debugging-pipe', 'about:blank'];
  const browser = spawn(chromium, flags, { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
  const toBrowser = browser.stdio[3] as Writable;
  const fromBrowser = browser.stdio[4] as Readable;
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

  const raw = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, any>> => {
    const id = nextId++;
    toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    return new Promise((ok, fail) => pending.set(id, (m) => (m.error ? fail(new Error(`${method}: ${m.error.message}`)) : ok(m.result ?? {}))));
  };
  const close = async (): Promise<void> => {
    const exited = new Promise((ok) => browser.once('exit', ok));
    browser.kill();
    await exited; // chromium writes its profile until it is gone
    // Chromium's helper processes can outlive the main one for a moment and still write into the
    // profile; a temporary folder left behind is not a failed check, so removal is best-effort.
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    } catch (e) {
      console.warn(`note: could not remove the temporary Chromium profile ${profile}: ${(e as Error).message}`);
    }
  };

  try {
    const { targetId } = await raw('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await raw('Target.attachToTarget', { targetId, flatten: true });
    const send = (method: string, params: Record<string, unknown> = {}) => raw(method, params, sessionId);
    for (const domain of ['Page', 'Runtime', 'Log']) await send(`${domain}.enable`);
    await send('Emulation.setDeviceMetricsOverride', { width: opts.width, height: opts.height, deviceScaleFactor: 1, mobile: false });
    const evaluate = async <T>(expression: string): Promise<T> => {
      const r = await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
      if (r.exceptionDetails) throw new Error(`evaluate ${expression.slice(0, 60)}: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
      return r.result.value as T;
    };
    return { send, evaluate, problems, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Navigate and wait until document.readyState is 'complete'. */
export async function navigate(page: Page, url: string): Promise<void> {
  await page.send('Page.navigate', { url });
  while ((await page.evaluate<string>('document.readyState')) !== 'complete') await new Promise((ok) => setTimeout(ok, 100));
}

/**
 * End a check: close the page, put its console and page errors before the check's own problems,
 * print each as `name: problem` and set the exit code (1 when there is any).
 */
export async function closeAndReport(name: string, page: Page, problems: string[]): Promise<void> {
  problems.unshift(...page.problems);
  await page.close();
  for (const p of problems) console.error(`${name}: ${p}`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}
