import type { CAC } from 'cac';
import { register as run } from './run.js';
import { register as synth } from './synth.js';

/** Every subcommand registers itself on the cac instance. */
export const commands: Array<(cli: CAC) => void> = [run, synth];
