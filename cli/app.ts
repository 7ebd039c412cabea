/**
 * The `epsx` program as a function: parse argv, run the command, turn errors into an exit code.
 * cli/main.ts runs it as a process; tests can run it in-process (a fresh cac instance per call).
 */
import { cac } from 'cac';
import { UserError } from '../lib/core/errors.js';
import { commands } from './commands/index.js';

/** Exit codes: 0 success, 1 internal error (a bug), 2 user error (bad input, one line). */
export type ExitCode = 0 | 1 | 2;

export async function runCli(argv: readonly string[], writeError: (text: string) => void = (t) => void process.stderr.write(t)): Promise<ExitCode> {
  const cli = cac('epsx');
  cli.option('--debug', 'Print stack traces for errors');
  for (const register of commands) register(cli);
  cli.help();
  cli.version('0.1.0');
  try {
    cli.parse([...argv], { run: false });
    if (!cli.matchedCommand) {
      const first = cli.args[0];
      if (first !== undefined) throw new UserError(`unknown command '${first}' (see epsx --help)`);
      if (!cli.options.help && !cli.options.version) cli.outputHelp();
      return 0;
    }
    await cli.runMatchedCommand();
    return 0;
  } catch (e) {
    const err = e as Error;
    // cac reports bad usage (unknown option, missing value) with CACError: a user error too.
    const isUser = err instanceof UserError || err.name === 'CACError';
    writeError(`epsx: ${isUser ? '' : 'internal error: '}${err.message}\n`);
    if (argv.includes('--debug') && err.stack) writeError(err.stack + '\n');
    return isUser ? 2 : 1;
  }
}
