/**
 * synthetic.json: the generator settings and, per image, which saliency errors were injected
 * (the per-pixel maps live next to it as SaliencyErrors/<id>.png), so a run on a written
 * synthetic folder can still report what was wrong where.
 */
import { UserError } from '../errors.js';
import type { InjectedErrors } from './sample.js';

/** The parsed content of synthetic.json (error records without their pixel maps). */
export interface SyntheticFile {
  /** Generator settings, as written (free-form numbers). */
  generator: Record<string, number>;
  images: Map<string, InjectedErrors>;
}

/** Serialise synthetic.json (one image per line). */
export function formatSyntheticFile(file: SyntheticFile): string {
  const entries = [...file.images].map(([id, e]) => {
    const record = { objectClasses: e.objectClasses, missingClasses: e.missingClasses, partialObjects: e.partialObjects, falsePatches: e.falsePatches };
    return `    ${JSON.stringify(id)}: ${JSON.stringify(record)}`;
  });
  return `{\n  "generator": ${JSON.stringify(file.generator)},\n  "images": {\n${entries.join(',\n')}\n  }\n}\n`;
}

const isIntList = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0);

/** Parse and validate synthetic.json text. */
export function parseSyntheticFile(text: string, file: string): SyntheticFile {
  let json: { generator?: unknown; images?: unknown };
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(json) || !isObject(json.generator) || !isObject(json.images)) throw new UserError(`${file}: must hold an object with "generator" and "images" objects`);
  const images = new Map<string, InjectedErrors>();
  for (const [id, r] of Object.entries(json.images)) {
    const e = r as Record<string, unknown>;
    if (!isObject(e) || !isIntList(e.objectClasses) || !isIntList(e.missingClasses) || !isIntList(e.partialObjects) || !Number.isInteger(e.falsePatches)) {
      throw new UserError(`${file}: image "${id}" needs objectClasses, missingClasses, partialObjects (integer lists) and falsePatches (integer)`);
    }
    images.set(id, { objectClasses: e.objectClasses, missingClasses: e.missingClasses, partialObjects: e.partialObjects, falsePatches: e.falsePatches as number });
  }
  return { generator: json.generator as Record<string, number>, images };
}
