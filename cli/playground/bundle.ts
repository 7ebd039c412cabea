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
  'lib/dawn': 'cli/playground/browser/dawn',
};

/**
 * The bundles: the playground page, which must import nothing Node-only, and the package's browser
 * entry, the whole package root, where the file, checkpoint and dataset-folder functions stay in
 * place but throw a one-line error when called.
 */
export const ENTRIES = { playground: 'cli/playground/page', epsx: 'lib/index' } as const;
export type BundleName = keyof typeof ENTRIES;

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
    plugins: [
      {
        name: 'epsx-browser',
        setup(build) {
          // node:x, and the bare builtin names that CommonJS dependencies (pngjs) require
          const builtin = new RegExp(`^(node:.*|${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);
          build.onResolve({ filter: builtin }, (args) =>
            name === 'epsx' ? { path: src('cli/playground/browser/node-only.cjs') } : { errors: [{ text: `Node-only import ${args.path} in ${args.importer}` }] },
          );
          build.onResolve({ filter: /\.js$/ }, (args) => {
            if (!args.path.startsWith('.')) return undefined;
            const target = resolve(args.resolveDir, args.path).slice(root.length + 1).replace(/\.js$/, '');
            const sub = SUBSTITUTES[target.split('\\').join('/')];
            return sub === undefined ? undefined : { path: src(`${sub}.ts`) };
          });
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
