/**
 * Node-only: loads the Dawn binary behind the `webgpu` package (gpu.js's WebGPU backend under
 * Node). Kept apart from lib/core/backend.ts so that the engine imports no node: module; the browser
 * bundle maps this file to cli/playground/browser/dawn.ts.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
let dawnFailure: string | null | undefined;

/** Load the Dawn binary once and install navigator.gpu; null when it loaded, else why not. */
export function loadDawn(): string | null {
  if (dawnFailure !== undefined) return dawnFailure;
  try {
    // The package entry is ESM (no sync import); load its native binary the same way it does.
    const dir = dirname(require.resolve('webgpu'));
    const dawn = require(join(dir, 'dist', `${process.platform}-${process.arch}.dawn.node`)) as {
      create(flags: string[]): unknown;
      globals: object;
    };
    Object.assign(globalThis, dawn.globals);
    const g = globalThis as { navigator?: { gpu?: unknown } };
    if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true });
    if (g.navigator!.gpu === undefined) Object.defineProperty(g.navigator!, 'gpu', { value: dawn.create([]), configurable: true });
    dawnFailure = null;
  } catch (e) {
    dawnFailure = `the webgpu package (Dawn) failed to load: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim()}`;
  }
  return dawnFailure;
}

