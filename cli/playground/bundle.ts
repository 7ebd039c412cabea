/**
 * The browser bundles, built with esbuild from the same sources as the Node package. The engine
 * reaches Node only through a few modules (worker threads, the wasm code generator that patches
 * gpu.js's Node sources, the Dawn loader); the plugin swaps each for its stand-in under
 * cli/playground/browser/, and any other node: import fails the build, so nothing Node-only can
 * slip into a page unnoticed. gpu.js resolves to its browser build through its package.json.
 *
 *   node --import tsx cli/playground/bundle.ts OUTDIR     (what `npm run build` runs)
 */
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository (or installed package) root: cli/playground/ under source or dist/. */
const root = resolve(here, here.includes(`${join('dist', 'cli')}`) ? '../../..' : '../..');
const src = (p: string): string => join(root, p);

/** Engine module -> its browser stand-in (paths from the root, without extension). */
const SUBSTITUTES: Record<string, string> = {
  'ops/kernels/threads': 'cli/playground/browser/threads',
  'ops/kernels/wasm-codegen/wide-loads': 'cli/playground/browser/wide-loads',
  'lib/core/dawn': 'cli/playground/browser/dawn',
};

/**
 * The bundles: the playground page, self-contained, which must import nothing Node-only; and the
 * package's browser entry, the whole package root for a consumer's bundler: gpu.js stays an import
 * (the bundler picks gpu.js's browser build, once for the app), and the functions that read or
 * write files, checkpoints on disk or PNGs stay in place but throw a one-line error when called.
 */
export const ENTRIES = { playground: 'cli/playground/page', epsx: 'lib/index' } as const;
export type BundleName = keyof typeof ENTRIES;

/** ES module source standing in for a Node module: the same export names, each a function that throws. */
async function nodeOnlyModule(specifier: string): Promise<string> {
  const names = Object.keys((await import(specifier)) as object).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
  return `const stub = (name) => new Proxy(function () {}, {
  get: (_, key) => stub(name + '.' + String(key)),
  apply: () => { throw new Error(name + ' needs Node (files, threads or native modules): not in the browser build of epsx'); },
});
export default stub(${JSON.stringify(specifier)});
${names.map((n) => `export const ${n} = stub(${JSON.stringify(`${specifier}.${n}`)});`).join('\n')}
`;
}

/** Build one bundle in memory (ES module, minified); rejects on any error, a node: import included. */
export async function buildBundle(name: BundleName): Promise<string> {
  const esbuild = await import('esbuild').catch(() => {
    throw new Error('esbuild (a devDependency) is needed to build the browser bundle from source; `npm run build` prebuilds it');
  });
  const result = await esbuild.build({
    entryPoints: [src(`${ENTRIES[name]}.ts`)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: process.env.EPSX_BUNDLE_DEBUG === undefined,
    write: false,
    logLevel: 'silent',
    inject: [src('cli/playground/browser/shims.ts')],
    ...(name === 'epsx' && { external: ['gpu.js'] }),
    plugins: [
      {
        name: 'epsx-browser',
        setup(build) {
          build.onResolve({ filter: /\.js$/ }, (args) => {
            if (!args.path.startsWith('.')) return undefined;
            const target = resolve(args.resolveDir, args.path).slice(root.length + 1).replace(/\.js$/, '');
            const sub = SUBSTITUTES[target.split('\\').join('/')];
            return sub === undefined ? undefined : { path: src(`${sub}.ts`) };
          });
          // node:x, and the bare builtin names that CommonJS dependencies (pngjs) require
          const builtin = `^(node:.*|${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`;
          if (name === 'playground') {
            build.onResolve({ filter: new RegExp(builtin) }, (args) => ({ errors: [{ text: `Node-only import ${args.path} in ${args.importer}` }] }));
            return;
          }
          // The browser entry: node:path is plain string work; every other Node module, and pngjs
          // (CommonJS on Node streams, calling util.inherits as it loads), becomes a module whose
          // exports throw one line when called.
          build.onResolve({ filter: /^(node:)?path$/ }, () => ({ path: src('cli/playground/browser/path.ts') }));
          build.onResolve({ filter: new RegExp(`${builtin}|^pngjs$`) }, (args) => ({ path: args.path, namespace: 'node-only' }));
          build.onLoad({ filter: /.*/, namespace: 'node-only' }, async (args) => ({ contents: await nodeOnlyModule(args.path), loader: 'js' }));
        },
      },
    ],
  });
  return result.outputFiles[0]!.text;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: bundle.ts OUTDIR');
    process.exit(2);
  }
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(out, { recursive: true });
  for (const name of Object.keys(ENTRIES) as BundleName[]) writeFileSync(join(out, `${name}.js`), await buildBundle(name));
}
