/** The shared `--backend` option: where the heavy kernels (conv, resize, PAMR) run. */
import type { Command } from 'cac';
import { BACKEND_NAMES, setBackend } from '../lib/core/backend.js';
import { choiceOption } from './options.js';

export function addBackendOption(command: Command): Command {
  return command.option('--backend <name>', `Kernel backend: ${BACKEND_NAMES.join(', ')} (default: auto, the fastest that works here)`);
}

/** Select the backend named by --backend (auto when absent); an explicit auto or webgpu says what it picked, on stderr. */
export function applyBackend(raw: unknown): void {
  const name = choiceOption('--backend', raw, BACKEND_NAMES);
  const info = setBackend(name ?? 'auto');
  if (name !== undefined && info.backend !== info.requested) process.stderr.write(`${info.message}\n`);
}
