/**
 * Fuzzing labels.json (lib/data/labels-file.ts, and through openVocDataset): random text and
 * bytes, arbitrary JSON, near-valid files with wrong types, unknown or duplicate classes and
 * control characters in names, and character-level mutations of a valid file - always a
 * one-line UserError naming the file, or labels that satisfy the format's invariants.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_CLASSES, parseLabelsFile } from '../../lib/data/labels-file.js';
import { UserError } from '../../lib/core/errors.js';
import { openVocDataset, synthetic, writeVocDataset } from '../../lib/data/index.js';
import { cleanup, tempDir } from '../data/helpers.js';
import { clean, runs, seen } from './fuzz.js';

const FILE = 'data/labels.json';

/** Parse, and when it succeeds, check what came back is well-formed. */
const parse = clean((text: string) => {
  let labels: ReturnType<typeof parseLabelsFile>;
  try {
    labels = parseLabelsFile(text, FILE);
  } catch (e) {
    if (e instanceof UserError) assert.ok(e.message.startsWith(`${FILE}: `), `"${e.message}" should name the file`);
    throw e;
  }
  const { classes, images } = labels;
  assert.ok(classes.length >= 1 && classes.length <= MAX_CLASSES && new Set(classes).size === classes.length);
  assert.ok(classes.every((c) => typeof c === 'string' && c.trim() !== ''));
  for (const [, list] of images) {
    assert.ok(list.every((c, i) => Number.isInteger(c) && c >= 1 && c <= classes.length && (i === 0 || c > list[i - 1]!)), `bad labels ${JSON.stringify(list)}`);
  }
});

const VALID = JSON.stringify({ classes: ['circle', 'square', 'triangle'], images: { shapes_0001: [1, 3], shapes_0002: ['square'], shapes_0003: [] } }, null, 2);

const name = fc.oneof(fc.constantFrom('circle', 'square', '', ' ', 'a\nb', '\u0000', '__proto__', 'constructor', 'toString'), fc.string({ maxLength: 6 }));
const classRef = fc.oneof(fc.integer({ min: -2, max: 6 }), fc.constantFrom(1.5, 1e300, Number.NaN), name, fc.jsonValue({ maxDepth: 1 }));
const nearValid = fc.record({
  classes: fc.oneof(fc.array(name, { maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), fc.constant(Array.from({ length: MAX_CLASSES + 1 }, (_, i) => `c${i}`))),
  images: fc.oneof(fc.dictionary(name, fc.oneof(fc.array(classRef, { maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })), { maxKeys: 4 }), fc.jsonValue({ maxDepth: 2 })),
}, { requiredKeys: [] });

/** Delete, insert or replace a few characters of a valid file. */
const charEdits = fc.array(fc.tuple(fc.nat(VALID.length), fc.constantFrom('delete', 'insert', 'replace'), fc.string({ minLength: 1, maxLength: 2, unit: 'binary' })), { minLength: 1, maxLength: 4 }).map((edits) => {
  let text = VALID;
  for (const [at, how, s] of edits) {
    const i = at % (text.length + 1);
    text = text.slice(0, i) + (how === 'delete' ? '' : s) + text.slice(how === 'insert' ? i : i + 1);
  }
  return text;
});

test('random text, random bytes read as UTF-8, arbitrary JSON', () => {
  fc.assert(fc.property(fc.string({ maxLength: 200, unit: 'binary' }), parse), runs(300));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('utf8')), parse), runs(200));
  fc.assert(fc.property(fc.json({ maxDepth: 3 }), parse), runs(300));
  assert.ok(seen(/not valid JSON/) > 0 && seen(/must hold a JSON object/) > 0);
});

test('near-valid files: wrong types, unknown, duplicate and odd class names, bad indices', () => {
  fc.assert(fc.property(nearValid.map((v) => JSON.stringify(v)), parse), runs(600));
  assert.ok(seen(/appears twice/) > 0 && seen(/unknown class/) > 0 && seen(/not a class name or an index/) > 0, 'inputs reach the per-image checks');
  assert.ok(seen(/^ok$/) > 0, 'some near-valid files are valid');
});

test('character-level edits of a valid file', () => {
  fc.assert(fc.property(charEdits, parse), runs(400));
});

test('through openVocDataset: the error names labels.json in the dataset folder', () => {
  const dir = tempDir();
  writeVocDataset(dir, synthetic({ train: 2, val: 1, size: 32, classes: 2, seed: 1 }));
  const labels = join(dir, 'labels.json');
  fc.assert(
    fc.property(fc.oneof(charEdits, nearValid.map((v) => JSON.stringify(v))), (text) => {
      writeFileSync(labels, text);
      clean(() => {
        try {
          openVocDataset(dir);
        } catch (e) {
          if (e instanceof UserError) assert.ok(e.message.includes(dir), `"${e.message}" should name the dataset file`);
          throw e;
        }
      })(text);
    }),
    runs(60),
  );
});

test.after(cleanup);
test.run();
