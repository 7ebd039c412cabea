/**
 * The run folder: where each artefact lives, the stage ledger (state.json) that --resume
 * reads, and the step log (log.jsonl). Every write is atomic.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeFsError, writeFileAtomic } from '../atomic.js';
import { UserError } from '../core/errors.js';

/** A method name safe for file names: eps++ -> epspp. */
export const slug = (s: string): string => s.replace(/\+/g, 'p');

export class RunDir {
  constructor(readonly root: string) {}

  static create(root: string): RunDir {
    try {
      for (const sub of ['', 'checkpoints', 'pseudo', 'viz']) mkdirSync(join(root, sub), { recursive: true });
    } catch (e) {
      throw new UserError(`cannot create run folder ${root}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return new RunDir(root);
  }

  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  checkpoint(name: string): string {
    return this.path('checkpoints', `${name}.safetensors`);
  }

  trainState(name: string): string {
    return this.path('checkpoints', `${name}.train-state.safetensors`);
  }

  pseudoDir(method: string): string {
    const dir = this.path('pseudo', slug(method));
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new UserError(`cannot create folder ${dir}: ${describeFsError(e)}`);
    }
    return dir;
  }

  writeJson(name: string, value: unknown): void {
    writeFileAtomic(this.path(name), JSON.stringify(value, null, 2) + '\n');
  }

  readJson<T>(name: string): T | null {
    const p = this.path(name);
    if (!existsSync(p)) return null;
    try {
      return JSON.parse(readFileSync(p, 'utf8')) as T;
    } catch {
      throw new UserError(`${p}: not valid JSON (the run folder is damaged; start a new run)`);
    }
  }
}

/** The most recently modified run folder under `out` that has a state.json, or null. */
export function latestRun(out: string): string | null {
  if (!existsSync(out)) return null;
  const runs = readdirSync(out, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(out, e.name, 'state.json')))
    .map((e) => ({ name: e.name, t: statSync(join(out, e.name, 'state.json')).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  return runs[0]?.name ?? null;
}

/** A default run name from the clock: run-YYYYMMDD-HHMMSS. */
export function timestampName(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `run-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}
