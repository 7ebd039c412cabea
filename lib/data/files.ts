/** File reading that turns file-system failures into one-line UserErrors naming the file. */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { UserError } from '../core/errors.js';

/** Read a whole file; `what` says what the file was supposed to be ("saliency map"). */
export function readBytes(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${path}: ${what} not found`);
    throw new UserError(`${path}: cannot read ${what} (${code ?? (e as Error).message})`);
  }
}

/** Read a whole text file (UTF-8). */
export function readText(path: string, what: string): string {
  return Buffer.from(readBytes(path, what)).toString('utf8');
}

/** File status, or undefined when nothing is there (also when a parent is a file: ENOTDIR). */
function statOf(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new UserError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** True when `path` exists (file or folder). */
export function exists(path: string): boolean {
  return statOf(path) !== undefined;
}

/** Throw unless `path` is an existing folder. */
export function requireFolder(path: string, what: string): void {
  const stat = statOf(path);
  if (!stat) throw new UserError(`${path}: ${what} not found`);
  if (!stat.isDirectory()) throw new UserError(`${path}: ${what} is not a folder`);
}
