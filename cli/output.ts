/**
 * Output paths, checked before any work starts so a long job never fails at its last step
 * because of a typo in --out. Files themselves are written atomically (lib/atomic.ts).
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../lib/core/errors.js';

function kindOf(path: string): 'missing' | 'folder' | 'file' {
  let stat;
  try {
    stat = statSync(path, { throwIfNoEntry: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e;
    stat = undefined; // a parent is a file: the caller reports that parent
  }
  return stat === undefined ? 'missing' : stat.isDirectory() ? 'folder' : 'file';
}

function makeFolder(flag: string, dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UserError(`${flag} ${dir}: cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** An output file: must not be a folder; its parent folders are created. */
export function prepareOutputFile(flag: string, path: string): void {
  if (kindOf(path) === 'folder') throw new UserError(`${flag} ${path}: is a folder, expected a file name`);
  const parent = dirname(resolve(path));
  if (kindOf(parent) === 'file') throw new UserError(`${flag} ${path}: ${parent} is a file, not a folder`);
  makeFolder(flag, parent);
}

/** An output folder: created with its parents; an existing file of that name is an error. */
export function prepareOutputFolder(flag: string, dir: string): void {
  if (kindOf(dir) === 'file') throw new UserError(`${flag} ${dir}: is a file, expected a folder`);
  makeFolder(flag, dir);
}
