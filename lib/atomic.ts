import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import { UserError } from './core/errors.js';

/** "ENOSPC (no space left on device)" for a failed system call; the message for anything else. */
export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === undefined) return err.message;
  const description = err.errno === undefined ? undefined : getSystemErrorMap().get(err.errno)?.[1];
  return description ? `${err.code} (${description})` : err.code;
}

/**
 * Write a file atomically: write a temporary file in the same folder, fsync, then rename.
 * An interrupted or failing write never leaves a half-written file behind.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd = -1;
  try {
    fd = openSync(tmp, 'w');
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    // Best-effort cleanup: the report is about the write, not about removing a temporary that
    // may not exist (when the folder is missing or is a file, rm fails too).
    try {
      if (fd >= 0) closeSync(fd);
      rmSync(tmp, { force: true });
    } catch {}
    throw new UserError(`cannot write ${path}: ${describeFsError(e)}`);
  }
}
