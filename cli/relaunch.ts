/**
 * Node flags the heavy commands run with. V8's concurrent marking keeps a background thread
 * marking the heap all through training (the engine's short-lived tensors fill the old
 * generation several times a second): measured ~20 s of CPU in a 70 s `epsx run`, taken from
 * the two cores the kernels run on, for no gain in the main thread's own time. V8 flags only
 * work from the start, so the built CLI starts itself again once with them.
 *
 * The second process runs in its own process group: a Ctrl-C reaches this one only, which
 * passes every signal on exactly once (the command's own Ctrl-C handling then sees one per key
 * press), and it exits as the second one did. The second process stops if this one dies.
 * `EPSX_NODE_FLAGS=off` runs the command as started.
 */
import { spawn } from 'node:child_process';

export const NODE_FLAGS = ['--no-concurrent-marking'];

/** Commands that train or run models for minutes. */
const HEAVY = new Set(['run', 'train-cls', 'train-seg', 'pseudo', 'eval', 'predict', 'bench', 'inspect']);

/**
 * Start the command again with NODE_FLAGS when it needs them and they are missing; resolves
 * with its exit code, or null when this process should run the command itself.
 */
export function relaunch(argv: readonly string[], script: string): Promise<number> | null {
  if (process.env.EPSX_PARENT_PID) watchParent(Number(process.env.EPSX_PARENT_PID));
  const command = argv[2];
  if (script.endsWith('.ts') || process.env.EPSX_NODE_FLAGS === 'off' || command === undefined || !HEAVY.has(command)) return null;
  if (NODE_FLAGS.every((f) => process.execArgv.includes(f))) return null;
  const child = spawn(process.execPath, [...process.execArgv, ...NODE_FLAGS, ...argv.slice(1)], {
    stdio: 'inherit',
    detached: true,
    env: { ...process.env, EPSX_PARENT_PID: String(process.pid) },
  });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const forward = (s: NodeJS.Signals) => child.kill(s);
  for (const s of signals) process.on(s, forward);
  return new Promise((resolve) => {
    child.on('error', () => resolve(1));
    child.on('exit', (code, signal) => {
      for (const s of signals) process.off(s, forward);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
}

/** In the relaunched process: exit when the process that started it is gone. */
function watchParent(pid: number): void {
  setInterval(() => {
    if (process.ppid !== pid) process.exit(130);
  }, 1000).unref();
}
