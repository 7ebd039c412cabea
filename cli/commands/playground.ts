/**
 * `epsx playground [--port N]`: serve the page that trains the classifier live in the browser
 * (cli/playground/). The page's script is the prebuilt bundle in dist/browser/ when epsx runs
 * from its build, else it is built from the sources with esbuild at start, so an edit shows on
 * the next start. Runs until Ctrl-C.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { CAC } from 'cac';
import { UserError } from '../../lib/core/errors.js';
import { numberOption, stringOption } from '../options.js';
import { buildBundle } from '../playground/bundle.js';
import { PLAYGROUND_HTML } from '../playground/html.js';

/** The page script: dist/browser/playground.js next to a built epsx, else a fresh esbuild bundle. */
async function pageScript(): Promise<string> {
  if (import.meta.url.endsWith('.js')) {
    try {
      return readFileSync(fileURLToPath(new URL('../../browser/playground.js', import.meta.url)), 'utf8');
    } catch {
      // not prebuilt (a build without the bundle step): build it now
    }
  }
  return buildBundle('playground');
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(e.code === 'EADDRINUSE' ? new UserError(`--port ${port}: the port is in use (--port 0 picks a free one)`) : e.code === 'EACCES' ? new UserError(`--port ${port}: not allowed to listen there`) : e),
    );
    server.listen(port, host, () => ok());
  });
}

export function register(cli: CAC): void {
  cli
    .command('playground', 'Serve the EPS++ playground: train cam, eps and eps++ live in a browser (WebGL where available)')
    .usage('playground [--port N] [--host ADDR]')
    .option('--port <n>', 'Port to listen on; 0 picks a free one (default: 8640)')
    .option('--host <addr>', 'Address to listen on (default: 127.0.0.1)')
    .example('  epsx playground')
    .example('  epsx playground --port 0        # then open the printed URL, e.g. with ?method=eps%2B%2B&steps=40')
    .action(async (flags: Record<string, unknown>) => {
      const port = numberOption('--port', flags.port, { integer: true, min: 0, max: 65535 }) ?? 8640;
      const host = stringOption('--host', flags.host) ?? '127.0.0.1';
      let script = '';
      const server = createServer((req, res) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        const [type, body] = path === '/' || path === '/index.html' ? ['text/html; charset=utf-8', PLAYGROUND_HTML] : path === '/playground.js' ? ['text/javascript; charset=utf-8', script] : [null, null];
        if (body === null) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
          return;
        }
        res.writeHead(200, { 'content-type': type!, 'cache-control': 'no-store' }).end(body);
      });
      await listen(server, port, host); // first, so that a taken port fails before the bundle is built
      script = await pageScript().catch((e: unknown) => {
        server.close();
        throw e;
      });
      const address = server.address();
      const actual = typeof address === 'object' && address !== null ? address.port : port;
      console.log(`epsx playground: http://${host.includes(':') ? `[${host}]` : host}:${actual}/  (Ctrl-C stops)`);
      await new Promise<void>((ok) => {
        const stop = (): void => {
          server.close(() => ok());
          server.closeAllConnections();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
