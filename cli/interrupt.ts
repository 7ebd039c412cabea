/**
 * Ctrl-C during a long command: the first SIGINT asks the work to stop at its next safe point
 * (between training steps, where nothing is half-written); a second one quits at once.
 * A command that stopped reports one line and exits with 130, as an interrupted Unix tool does.
 */

/** Thrown by a command that stopped on request; its message is the one line to print. */
export class Stopped extends Error {
  override name = 'Stopped';
}

/** Run `body` with SIGINT caught; `stopRequested` turns true after the first Ctrl-C. */
export async function catchingInterrupts<T>(body: (stopRequested: () => boolean) => Promise<T>): Promise<T> {
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\ninterrupt: stopping after the current step (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSigint);
  try {
    return await body(() => interrupts > 0);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Print a Stopped command's line and set exit code 130; rethrow anything else. */
export function reportStopped(e: unknown): void {
  if (!(e instanceof Stopped)) throw e;
  process.stderr.write(`epsx: ${e.message}\n`);
  process.exitCode = 130;
}
