/**
 * labels.json: `{ "classes": [names...], "images": { id: [c...] } }`. Image entries may give
 * class indices (1..C) or class names; both are validated and normalised to sorted indices.
 */
import { UserError } from '../core/errors.js';

/** The parsed content of labels.json. */
export interface LabelsFile {
  /** Class names; label c names classes[c-1]. */
  classes: string[];
  /** Image-level labels by id (sorted class indices); ids without an entry are absent. */
  images: Map<string, number[]>;
}

/** Largest number of classes: indices 1..254 fit in 8 bits next to background 0 and ignore 255. */
export const MAX_CLASSES = 254;

/** Check a class-name list (non-empty, distinct, non-empty strings, at most MAX_CLASSES). */
export function checkClassNames(classes: unknown, file: string): string[] {
  if (!Array.isArray(classes) || classes.length === 0 || classes.length > MAX_CLASSES) {
    throw new UserError(`${file}: "classes" must be a list of 1 to ${MAX_CLASSES} class names`);
  }
  classes.forEach((name, i) => {
    if (typeof name !== 'string' || name.trim() === '') throw new UserError(`${file}: class ${i + 1} must have a non-empty name`);
    if (classes.indexOf(name) !== i) throw new UserError(`${file}: class name "${name}" appears twice`);
  });
  return classes as string[];
}

/** Parse and validate labels.json text. */
export function parseLabelsFile(text: string, file: string): LabelsFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UserError(`${file}: must hold a JSON object with "classes" and "images"`);
  const { classes: rawClasses, images: rawImages = {} } = json as { classes?: unknown; images?: unknown };
  const classes = checkClassNames(rawClasses, file);
  if (typeof rawImages !== 'object' || rawImages === null || Array.isArray(rawImages)) throw new UserError(`${file}: "images" must be an object mapping image ids to class lists`);
  const images = new Map<string, number[]>();
  for (const [id, entry] of Object.entries(rawImages)) {
    if (!Array.isArray(entry)) throw new UserError(`${file}: labels of image "${id}" must be a list`);
    const labels = entry.map((c: unknown) => {
      if (typeof c === 'string') {
        const index = classes.indexOf(c);
        if (index < 0) throw new UserError(`${file}: image "${id}" names unknown class "${c}"`);
        return index + 1;
      }
      if (typeof c !== 'number' || !Number.isInteger(c) || c < 1 || c > classes.length) {
        throw new UserError(`${file}: image "${id}" has class ${JSON.stringify(c)}, not a class name or an index in 1..${classes.length}`);
      }
      return c;
    });
    images.set(id, [...new Set(labels)].sort((a, b) => a - b));
  }
  return { classes, images };
}

/** Serialise labels.json (indices, one image per line for readable diffs). */
export function formatLabelsFile(labels: LabelsFile): string {
  const entries = [...labels.images].map(([id, c]) => `    ${JSON.stringify(id)}: ${JSON.stringify(c)}`);
  return `{\n  "classes": ${JSON.stringify(labels.classes)},\n  "images": {\n${entries.join(',\n')}\n  }\n}\n`;
}
