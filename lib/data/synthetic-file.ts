/**
 * synthetic.json: the generator settings and, per image, which saliency errors were injected
 * (the per-pixel maps live next to it as SaliencyErrors/<id>.png), so a run on a written
 * synthetic folder can still report what was wrong where.
 */
import { UserError } from '../core/errors.js';
import type { InjectedErrors, SystematicErrorEvents } from './sample.js';

const EVENT_LISTS = ['companions', 'salientCompanions', 'kindParts', 'contacts', 'contactParts'] as const;
const EVENT_COUNTS = ['distractors', 'salientDistractors'] as const;

/** The parsed content of synthetic.json (error records without their pixel maps). */
export interface SyntheticFile {
  /** Generator settings, as written (free-form JSON values). */
  generator: Record<string, unknown>;
  images: Map<string, InjectedErrors>;
}

/** Serialise synthetic.json (one image per line). */
export function formatSyntheticFile(file: SyntheticFile): string {
  const entries = [...file.images].map(([id, e]) => {
    const record = { objectClasses: e.objectClasses, missingClasses: e.missingClasses, partialObjects: e.partialObjects, falsePatches: e.falsePatches, ...(e.systematic && { systematic: e.systematic }) };
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
    const record: InjectedErrors = { objectClasses: e.objectClasses, missingClasses: e.missingClasses, partialObjects: e.partialObjects, falsePatches: e.falsePatches as number };
    if (e.systematic !== undefined) {
      const s = e.systematic as Record<string, unknown>;
      const ok = isObject(s) && EVENT_LISTS.every((k) => isIntList(s[k])) && EVENT_COUNTS.every((k) => Number.isInteger(s[k]));
      if (!ok) throw new UserError(`${file}: image "${id}": "systematic" needs ${EVENT_LISTS.join(', ')} (integer lists) and ${EVENT_COUNTS.join(', ')} (integers)`);
      record.systematic = Object.fromEntries([...EVENT_LISTS, ...EVENT_COUNTS].map((k) => [k, s[k]])) as unknown as SystematicErrorEvents;
    }
    images.set(id, record);
  }
  return { generator: json.generator, images };
}
