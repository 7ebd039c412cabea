/**
 * An export is one folder that appears whole or not at all: everything is written into a
 * hidden sibling folder, which is renamed to the requested name only once complete.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { describeFsError } from './atomic.js';
import { UserError } from './core/errors.js';

/**
 * Refuse `out` unless it is absent or an empty folder (an export never mixes with older files).
 * Checked before any work starts; `flag` names the option in the message.
 */
export function checkNewFolder(flag: string, out: string): void {
  const stat = statSync(out, { throwIfNoEntry: false });
  if (stat === undefined) return;
  if (!stat.isDirectory()) throw new UserError(`${flag} ${out}: is a file, expected a new folder`);
  if (readdirSync(out).length > 0) throw new UserError(`${flag} ${out}: folder exists and is not empty (a new folder is written)`);
}

/**
 * Fill a temporary folder beside `out` with `fill`, then rename it to `out`. On any failure
 * (an interruption included) the temporary folder is removed and `out` is left as it was.
 */
export async function writeFolderAtomic<T>(flag: string, out: string, fill: (dir: string) => T | Promise<T>): Promise<T> {
  checkNewFolder(flag, out);
  const parent = dirname(resolve(out));
  try {
    mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw new UserError(`${flag} ${out}: cannot create ${parent} (${describeFsError(e)})`);
  }
  const tmp = join(parent, `.${basename(resolve(out))}.${process.pid}.${Date.now()}.tmp`);
  try {
    mkdirSync(tmp);
    const result = await fill(tmp);
    if (statSync(out, { throwIfNoEntry: false }) !== undefined) rmdirSync(out); // empty: checked above
    renameSync(tmp, out);
    return result;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (e instanceof UserError || !(e as NodeJS.ErrnoException).code) throw e;
    throw new UserError(`${flag} ${out}: cannot write (${describeFsError(e)})`);
  }
}
