/**
 * node:path for the package's browser entry: the POSIX string functions the engine uses (the
 * dataset layout joins its folder names when it loads). Paths mean nothing to a page otherwise.
 */
function normalize(parts: string[], absolute: boolean): string {
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (p !== '..' || !absolute) out.push(p);
  }
  return (absolute ? '/' : '') + out.join('/') || (absolute ? '/' : '.');
}

export function join(...parts: string[]): string {
  const joined = parts.filter((p) => p !== '').join('/');
  return joined === '' ? '.' : normalize(joined.split('/'), joined.startsWith('/'));
}

export function resolve(...parts: string[]): string {
  const from = parts.reduce((acc, p) => (p.startsWith('/') ? p : `${acc}/${p}`), '/');
  return normalize(from.split('/'), true);
}

export function dirname(path: string): string {
  const i = path.replace(/\/+$/, '').lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : path.slice(0, i);
}

export function basename(path: string, ext?: string): string {
  const base = path.replace(/\/+$/, '').split('/').pop() ?? '';
  return ext !== undefined && base.endsWith(ext) && base !== ext ? base.slice(0, -ext.length) : base;
}

export function extname(path: string): string {
  const base = basename(path);
  const i = base.lastIndexOf('.');
  return i <= 0 ? '' : base.slice(i);
}

export const sep = '/';
