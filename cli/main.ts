#!/usr/bin/env node
/** The `epsx` command line: one file per subcommand under cli/commands. */
import { cac } from 'cac';
import { UserError } from '../lib/errors.js';
import { commands } from './commands/index.js';

// `epsx ... | head` closes stdout early: stop quietly, as Unix tools do, instead of crashing.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const cli = cac('epsx');
cli.option('--debug', 'Print stack traces for errors');
for (const register of commands) register(cli);
cli.help();
cli.version('0.1.0');

async function main(): Promise<void> {
  const debug = process.argv.includes('--debug');
  try {
    cli.parse(process.argv, { run: false });
    if (!cli.matchedCommand) {
      const first = cli.args[0];
      if (first !== undefined) throw new UserError(`unknown command '${first}' (see epsx --help)`);
      if (!cli.options.help && !cli.options.version) cli.outputHelp();
      return;
    }
    await cli.runMatchedCommand();
  } catch (e) {
    const err = e as Error;
    // cac reports bad usage (unknown option, missing value) with CACError: a user error too.
    const isUser = err instanceof UserError || err.name === 'CACError';
    process.stderr.write(`epsx: ${isUser ? '' : 'internal error: '}${err.message}\n`);
    if (debug && err.stack) process.stderr.write(err.stack + '\n');
    process.exitCode = isUser ? 2 : 1;
  }
}

await main();
