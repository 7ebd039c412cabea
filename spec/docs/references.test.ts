/**
 * The design lives in docs/, and the code cites it: every `docs/<file>.md#<heading>` named in
 * the sources (lib, ops, models, cli, bench, spec), in the README or between the docs pages
 * must name a file that exists and a heading it has. Slugs follow GitHub's anchors (see
 * docs/README.md#citing-a-heading). Nothing may cite the old out-of-repository design file.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = new URL('../..', import.meta.url).pathname;
const self = relative(root, new URL(import.meta.url).pathname);

/** GitHub's heading anchor: lower case, keep letters, digits, spaces, '-' and '_', spaces -> '-'. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The generated API reference (ignored by git) is not part of the written docs. */
const generated = join(root, 'docs', 'api');

function files(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || p === generated ? [] : files(p, ext);
    return e.name.endsWith(ext) ? [p] : [];
  });
}

/** Headings of a Markdown page (ATX style, outside fenced code), as slugs. */
function headings(file: string): string[] {
  let fenced = false;
  const out: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m) out.push(slug(m[1]!));
  }
  return out;
}

const docsDir = join(root, 'docs');
const pages = files(docsDir, '.md');
const anchors = new Map(pages.map((p) => [relative(root, p), new Set(headings(p))]));

/** Is `target` (a repository path to a docs page, maybe with #slug) a real page and heading? */
function problem(target: string): string | null {
  const [path, anchor] = target.split('#') as [string, string | undefined];
  const heads = anchors.get(path);
  if (heads === undefined) return `${path} does not exist`;
  if (anchor !== undefined && !heads.has(anchor)) return `${path} has no heading #${anchor}`;
  return null;
}

const sources = ['lib', 'ops', 'models', 'cli', 'bench', 'spec'].flatMap((d) => files(join(root, d), '.ts')).filter((f) => relative(root, f) !== self);

test('slugs follow GitHub anchors', () => {
  assert.is(slug('labels.json'), 'labelsjson');
  assert.is(slug('Adding a gpu.js kernel'), 'adding-a-gpujs-kernel');
  assert.is(slug('IRD warm-up'), 'ird-warm-up');
  assert.is(slug('The `epsx` command: run, eval'), 'the-epsx-command-run-eval');
});

test('docs pages exist and no page has two headings with one slug', () => {
  assert.ok(pages.length >= 4, `found ${pages.length} pages under docs/`);
  for (const p of pages) {
    const h = headings(p);
    const dup = h.filter((s, i) => h.indexOf(s) !== i);
    assert.equal(dup, [], `${relative(root, p)} repeats headings`);
  }
});

test('every docs/ reference in the sources and the README names a real file and heading', () => {
  const bad: string[] = [];
  let count = 0;
  for (const f of [...sources, join(root, 'README.md')]) {
    const lines = readFileSync(f, 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const m of line.matchAll(/\bdocs\/[\w./-]+\.md(?:#[\w-]+)?/g)) {
        count++;
        const why = problem(m[0]);
        if (why) bad.push(`${relative(root, f)}:${i + 1}: ${m[0]}: ${why}`);
      }
    });
  }
  assert.equal(bad, [], `broken references:\n${bad.join('\n')}`);
  // The sources do cite the docs (a scan that found nothing would prove nothing).
  assert.ok(count >= 20, `only ${count} references found`);
});

test('links between docs pages resolve', () => {
  const bad: string[] = [];
  for (const p of pages) {
    const here = relative(root, p);
    for (const m of readFileSync(p, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1]!;
      if (/^[a-z]+:/.test(link)) continue; // external
      const [file, anchor] = link.split('#') as [string, string | undefined];
      const target = file === '' ? here : relative(root, join(p, '..', file));
      if (!target.endsWith('.md')) {
        if (!existsSync(join(root, target))) bad.push(`${here}: ${link}: no such file`);
        continue;
      }
      const why = problem(anchor === undefined ? target : `${target}#${anchor}`);
      if (why) bad.push(`${here}: ${link}: ${why}`);
    }
  }
  assert.equal(bad, [], bad.join('\n'));
});

test('nothing cites the design file that lived outside the repository', () => {
  const stale = sources.flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .flatMap((line, i) => (/\bDESIGN(\.md\b|'s\b)/.test(line) ? [`${relative(root, f)}:${i + 1}: ${line.trim()}`] : [])),
  );
  assert.equal(stale, [], `cite docs/... instead:\n${stale.join('\n')}`);
});

test('every source path the README and the docs pages name in backticks exists', () => {
  const bad: string[] = [];
  let count = 0;
  for (const f of [join(root, 'README.md'), ...pages]) {
    for (const m of readFileSync(f, 'utf8').matchAll(/`((?:lib|ops|models|cli|spec|bench)\/[\w./-]*)`/g)) {
      if (m[1]!.endsWith('.d.ts')) continue; // emitted declarations, not sources
      count++;
      if (!existsSync(join(root, m[1]!))) bad.push(`${relative(root, f)}: ${m[1]} does not exist`);
    }
  }
  assert.equal(bad, [], `moved or removed files still named:\n${bad.join('\n')}`);
  assert.ok(count >= 40, `only ${count} paths found`);
});

test("the README's reading order states each file's length to within a fifth", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Reading the engine'));
  const rows = [...section.matchAll(/^\| ((?:`[^`]+`(?:, )?)+) \| (\d+) \|/gm)];
  assert.ok(rows.length >= 8, `${rows.length} rows`);
  let total = 0;
  const off = rows.flatMap(([, cell, stated]) => {
    const lines = [...cell!.matchAll(/`([^`]+)`/g)].reduce((n, m) => n + readFileSync(join(root, m[1]!), 'utf8').trimEnd().split('\n').length, 0);
    total += lines;
    return Math.abs(lines - Number(stated)) > 0.2 * lines ? [`${cell}: ${stated} stated, ${lines} now`] : [];
  });
  assert.equal(off, [], off.join('\n'));
  const claimed = Number(/about ([\d,]+) lines/.exec(section)?.[1]?.replace(',', ''));
  assert.ok(Math.abs(claimed - total) <= 0.2 * total, `about ${claimed} lines stated, ${total} now`);
});

test.run();
