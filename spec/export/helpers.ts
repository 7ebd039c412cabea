/** Shared helpers for the export suites (not a suite itself: no .test.ts suffix). */
import { spawnSync } from 'node:child_process';

/**
 * The first Python that imports torch: EPSX_PYTHON when set, else `python3` on the PATH, else
 * the system's /usr/bin/python3 (where Debian's python3-torch installs, when the PATH's
 * python3 is another one). When none does, `reason` says why in one line.
 */
export function findTorchPython(): { path: string | null; version: string; reason: string } {
  const candidates = [process.env.EPSX_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  for (const path of [...new Set(candidates)]) {
    const r = spawnSync(path, ['-c', 'import numpy, torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { path, version: r.stdout.trim(), reason: '' };
  }
  return { path: null, version: '', reason: `no Python with torch and numpy (tried ${candidates.join(', ')})` };
}
