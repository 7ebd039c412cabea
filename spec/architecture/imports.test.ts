/**
 * The layers of docs/architecture.md#layers, enforced on the sources: every file of lib, ops,
 * models and cli belongs to one layer of LAYERS (the same table as the docs page, checked
 * below), no import goes to a higher layer, and no module imports itself through others (an
 * import cycle). Imports are read off the sources' import/export-from lines.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('../..', import.meta.url).pathname;

/** Layers from the bottom up; a path is a folder (ending in /) or a file. Mirrors the docs table. */
export const LAYERS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['engine core', ['lib/core/', 'lib/atomic.ts', 'lib/atomic-folder.ts', 'lib/progress.ts', 'lib/worker-module.ts']],
  ['data', ['lib/data/', 'lib/viz/']],
  ['ops', ['ops/', 'lib/tensor-methods.ts']],
  ['nn', ['lib/nn/', 'lib/optim/', 'lib/checkpoint.ts']],
  ['models', ['models/']],
  ['method', ['lib/losses/', 'lib/pseudo.ts', 'lib/pseudo-dataset.ts', 'lib/train/', 'lib/evaluate.ts', 'lib/metrics.ts', 'lib/inspect.ts', 'lib/saliency/']],
  ['pipeline', ['lib/pipeline/', 'lib/report/', 'lib/export/']],
  ['cli', ['cli/']],
  ['package root', ['lib/index.ts']],
];

/** The layer index of a repository path (the longest matching entry), or -1. */
export function layerOf(path: string): number {
  let best = -1;
  let bestLength = -1;
  LAYERS.forEach(([, paths], i) => {
    for (const p of paths) {
      const hit = p.endsWith('/') ? path.startsWith(p) : path === p;
      if (hit && p.length > bestLength) [best, bestLength] = [i, p.length];
    }
  });
  return best;
}

export interface Import {
  specifier: string;
  /** `import type` / `export type`: erased when compiled, so it cannot take part in a load cycle. */
  typeOnly: boolean;
}

/** The relative imports of a TypeScript source: import/export ... from, bare imports, import(). */
export function importsOf(source: string): Import[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: Import[] = [];
  for (const m of code.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"`;]*?\sfrom\s*['"](\.[^'"]+)['"]/gm)) {
    found.push({ specifier: m[3]!, typeOnly: m[2] !== undefined });
  }
  for (const m of code.matchAll(/^\s*import\s*['"](\.[^'"]+)['"]/gm)) found.push({ specifier: m[1]!, typeOnly: false });
  for (const m of code.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)) found.push({ specifier: m[1]!, typeOnly: false });
  return found;
}

/** Strongly connected components with more than one module (or a module importing itself). */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const p = posix.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** Every relative import between the layered sources, as repository paths. */
function edges(files: readonly string[]): Edge[] {
  const known = new Set(files);
  return files.flatMap((from) =>
    importsOf(readFileSync(join(root, from), 'utf8')).flatMap(({ specifier, typeOnly }) => {
      const base = posix.join(posix.dirname(from), specifier.replace(/\.js$/, ''));
      const to = [`${base}.ts`, `${base}/index.ts`].find((p) => known.has(p));
      return to === undefined ? [] : [{ from, to, typeOnly }];
    }),
  );
}

const files = ['lib', 'ops', 'models', 'cli'].flatMap(sources);
const all = edges(files);

test('the import reader sees multi-line, type-only, re-export and dynamic imports', () => {
  const src = `/* import { x } from './commented.js'; */
import {
  a,
  b,
} from './multi.js';
import type { T } from '../types.js';
export { c } from './re.js';
export type { U } from './re-type.js';
import './side-effect.js';
const m = await import('./lazy.js');
import { readFileSync } from 'node:fs';`;
  assert.equal(importsOf(src), [
    { specifier: './multi.js', typeOnly: false },
    { specifier: '../types.js', typeOnly: true },
    { specifier: './re.js', typeOnly: false },
    { specifier: './re-type.js', typeOnly: true },
    { specifier: './side-effect.js', typeOnly: false },
    { specifier: './lazy.js', typeOnly: false },
  ]);
});

test('the cycle finder finds a cycle and only that', () => {
  const g = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a', 'd']],
    ['d', []],
    ['e', ['e']],
  ]);
  assert.equal(cycles(g), [['a', 'b', 'c'], ['e']]);
  assert.equal(cycles(new Map([['a', ['b']], ['b', []]])), []);
});

test('every source file belongs to a layer', () => {
  assert.ok(files.length > 100, `found only ${files.length} sources`);
  const lost = files.filter((f) => layerOf(f) < 0);
  assert.equal(lost, [], `files in no layer of LAYERS (add them to the table here and in docs/architecture.md): ${lost.join(', ')}`);
});

test('no import goes up a layer', () => {
  const up = all
    .filter((e) => layerOf(e.from) >= 0 && layerOf(e.to) > layerOf(e.from))
    .map((e) => `${e.from} (${LAYERS[layerOf(e.from)]![0]}) imports ${e.to} (${LAYERS[layerOf(e.to)]![0]})`);
  assert.equal(up, [], `imports against the layer order:\n  ${up.join('\n  ')}`);
});

test('no import cycle', () => {
  const graph = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of all) if (!e.typeOnly) graph.get(e.from)!.push(e.to);
  const found = cycles(graph).map((c) => `cycle of ${c.length}: ${c.join(', ')}`);
  assert.equal(found, [], found.join('\n'));
});

test('LAYERS is the table of docs/architecture.md#layers', () => {
  const page = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
  const section = page.slice(page.indexOf('## Layers'), page.indexOf('\n## ', page.indexOf('## Layers') + 1));
  const rows = [...section.matchAll(/^\| ([^|]+?) \| ([^|]+?) \|/gm)]
    .filter((m) => !/^(layer|-+)$/.test(m[1]!))
    .map(([, name, where]) => [name!, [...where!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)] as const);
  assert.equal(rows, LAYERS.map(([name, paths]) => [name, [...paths]]));
});

test.run();

