/** Pseudo-mask settings shared by `epsx pseudo` and `epsx inspect` (docs/method.md#pseudo-masks). */
import type { Command } from 'cac';
import type { PseudoMaskOptions } from '../lib/pseudo.js';
import { flagOption, numberListOption, numberOption } from './options.js';

export function addPseudoOptions(command: Command): Command {
  return command
    .option('--scales <list>', 'Inference scales, each run with a horizontal flip (default: 1,0.5,1.5)')
    .option('--bg-threshold <t>', 'Constant background score against the peak-normalised class maps (default: 0.2)')
    .option('--pamr', 'Refine the class scores with PAMR on the full image before the argmax');
}

export function pseudoOptions(flags: Record<string, unknown>): PseudoMaskOptions {
  const o: PseudoMaskOptions = { pamr: flagOption('--pamr', flags.pamr) };
  const scales = numberListOption('--scales', flags.scales, { min: 0.05, max: 8 });
  const threshold = numberOption('--bg-threshold', flags.bgThreshold, { min: 0, max: 1 });
  if (scales) o.scales = scales;
  if (threshold !== undefined) o.threshold = threshold;
  return o;
}
