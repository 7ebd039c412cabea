#!/usr/bin/env node
/** The `epsx` command line: one file per subcommand under cli/commands, run by cli/app.ts. */
import { relaunch } from './relaunch.js';

// `epsx ... | head` closes stdout early: stop quietly, as Unix tools do, instead of crashing.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

// Heavy commands run in a second process started with the Node flags they need (relaunch.ts).
const relaunched = relaunch(process.argv, import.meta.url);
const code = relaunched ? await relaunched : await (await import('./app.js')).runCli(process.argv);
// A command may have set its own exit status (run: 130 after an interrupt); errors override it.
if (code !== 0) process.exitCode = code;
