/**
 * Every name the package root exports carries a TSDoc comment where it is declared
 * (functions, classes, consts, interfaces and types), so editors show documentation.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('../..', import.meta.url).pathname;

/** Names exported by a module (following `export *` and `export { a as b } from`) -> defining file. */
function exportedNames(file: string, seen = new Set<string>()): Map<string, { file: string; local: string }> {
  const out = new Map<string, { file: string; local: string }>();
  if (seen.has(file)) return out;
  seen.add(file);
  const src = readFileSync(file, 'utf8');
  const toTs = (spec: string) => resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
  for (const m of src.matchAll(/export\s+(type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/g)) {
    const target = toTs(m[3]!);
    const names = exportedNames(target, seen);
    for (const part of m[2]!.split(',').map((p) => p.trim().replace(/^type\s+/, '')).filter(Boolean)) {
      const [local, alias] = part.split(/\s+as\s+/) as [string, string | undefined];
      out.set(alias ?? local, names.get(local) ?? { file: target, local });
    }
  }
  for (const m of src.matchAll(/export\s+\*\s+from\s+'([^']+)'/g)) for (const [k, v] of exportedNames(toTs(m[1]!), seen)) out.set(k, v);
  for (const m of src.matchAll(/export\s+(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|const|let|interface|type|enum)\s+([A-Za-z_$][\w$]*)/g)) out.set(m[1]!, { file, local: m[1]! });
  return out;
}

function hasDoc(file: string, name: string): boolean {
  const lines = readFileSync(file, 'utf8').split('\n');
  const decl = new RegExp(`^export\\s+(?:declare\\s+)?(?:abstract\\s+)?(?:async\\s+)?(?:function\\*?|class|const|let|interface|type|enum)\\s+${name.replace('$', '\\$')}\\b`);
  const i = lines.findIndex((l) => decl.test(l));
  if (i < 0) return true; // re-exported under another form; its own module is checked through its name
  let j = i - 1;
  while (j >= 0 && lines[j]!.trim() === '') j--;
  return j >= 0 && lines[j]!.trim().endsWith('*/');
}

test('every export of the package root has TSDoc', () => {
  const entry = join(root, 'lib/index.ts');
  assert.ok(existsSync(entry));
  const names = exportedNames(entry);
  assert.ok(names.size > 100, `found ${names.size} exports`);
  const missing = [...names].filter(([, v]) => !hasDoc(v.file, v.local)).map(([k, v]) => `${k} (${v.file.slice(root.length)})`);
  assert.equal(missing, [], `exports without TSDoc:\n${missing.join('\n')}`);
});

test.run();
