/**
 * Injected file-system faults for the reliability suites (not a suite itself): make
 * `writeSync`, `fsyncSync`, `renameSync` or `appendFileSync` fail with a real errno (ENOSPC, EIO, ...) for the
 * files whose path matches a pattern, as a full disk or a failing device would. The patch goes
 * on the `node:fs` module object and `syncBuiltinESMExports` carries it to the ESM named
 * imports of lib/atomic.ts. Tests run as root, where a read-only folder mode stops nothing,
 * so this is how a failing write is reproduced.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { getSystemErrorMap } from 'node:util';

type Call = 'writeSync' | 'fsyncSync' | 'renameSync' | 'appendFileSync';

/** An error as Node's fs raises it for `code` (errno, syscall, message). */
export function fsError(code: string, syscall: string): NodeJS.ErrnoException {
  const entry = [...getSystemErrorMap()].find(([, [name]]) => name === code);
  const e: NodeJS.ErrnoException = new Error(`${code}: ${entry?.[1][1] ?? 'error'}, ${syscall}`);
  e.code = code;
  e.errno = entry?.[0];
  e.syscall = syscall;
  return e;
}

/**
 * Run `body` with `call` failing with `code` on files whose path matches `pattern`; a failing
 * write first writes `partial` bytes (a disk filling up mid-file). Returns what body returns.
 */
export async function withFault<T>(call: Call, code: string, pattern: RegExp, body: () => Promise<T> | T, partial = 0): Promise<T> {
  const saved = { openSync: fs.openSync, writeSync: fs.writeSync, fsyncSync: fs.fsyncSync, renameSync: fs.renameSync, appendFileSync: fs.appendFileSync };
  const pathOf = new Map<number, string>();
  const patched = fs as unknown as Record<string, unknown>;
  patched.openSync = (path: fs.PathLike, ...rest: unknown[]) => {
    const fd = (saved.openSync as (...a: unknown[]) => number)(path, ...rest);
    pathOf.set(fd, String(path));
    return fd;
  };
  if (call === 'writeSync') {
    patched.writeSync = (fd: number, buffer: Uint8Array, offset = 0, length = buffer.length - offset, ...rest: unknown[]) => {
      if (!pattern.test(pathOf.get(fd) ?? '')) return (saved.writeSync as (...a: unknown[]) => number)(fd, buffer, offset, length, ...rest);
      if (partial > 0) (saved.writeSync as (...a: unknown[]) => number)(fd, buffer, offset, Math.min(partial, length));
      throw fsError(code, 'write');
    };
  }
  if (call === 'fsyncSync') {
    patched.fsyncSync = (fd: number) => {
      if (pattern.test(pathOf.get(fd) ?? '')) throw fsError(code, 'fsync');
      saved.fsyncSync(fd);
    };
  }
  if (call === 'renameSync') {
    patched.renameSync = (from: fs.PathLike, to: fs.PathLike) => {
      if (pattern.test(String(to))) throw fsError(code, 'rename');
      saved.renameSync(from, to);
    };
  }
  if (call === 'appendFileSync') {
    patched.appendFileSync = (path: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
      if (pattern.test(String(path))) throw fsError(code, 'write');
      (saved.appendFileSync as (...a: unknown[]) => void)(path, ...rest);
    };
  }
  syncBuiltinESMExports();
  try {
    return await body();
  } finally {
    Object.assign(fs, saved);
    syncBuiltinESMExports();
  }
}
