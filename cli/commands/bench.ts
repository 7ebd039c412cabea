/**
 * `epsx bench`: the kernel benchmark (bench/kernels.ts) and the training-step benchmark
 * (bench/train-step.ts) behind one command. Each runs in its own Node process (through tsx),
 * so one's warm caches and worker pools do not flatter the other. The benchmarks measure
 * against tfjs and PyTorch, which are development dependencies: they need a source checkout
 * with `npm ci` done, not an installed package.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CAC } from 'cac';
import { UserError } from '../../lib/core/errors.js';
import { choiceOption, numberListOption, numberOption, stringOption } from '../options.js';

const SUITES = ['all', 'kernels', 'train'] as const;
const MODELS = ['classifier', 'segmenter'] as const;

/** The checkout holding bench/ (this file is cli/commands/ in the sources, dist/cli/commands/ when built). */
function checkoutRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'bench', 'train-step.ts')) && existsSync(join(dir, 'node_modules', 'tsx'))) return dir;
  }
  throw new UserError('epsx bench needs a source checkout with its development dependencies (bench/ and node_modules/tsx, tfjs): run it from a clone after npm ci');
}

function runScript(root: string, script: string, args: string[], threads: number | undefined): void {
  const env = threads === undefined ? process.env : { ...process.env, EPSX_THREADS: String(threads) };
  const r = spawnSync(process.execPath, ['--import', 'tsx', join('bench', script), ...args], { cwd: root, env, stdio: 'inherit' });
  if (r.error) throw new Error(`bench/${script}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`bench/${script} exited with code ${r.status ?? r.signal}`);
}

/** Register `epsx bench`. */
export function register(cli: CAC): void {
  cli
    .command('bench', 'Benchmarks against tfjs (and PyTorch when installed): kernels, and training steps and inference')
    .usage('bench [--only kernels|train] [--widths 16,32] [--models classifier,segmenter] [options]')
    .option('--only <suite>', `Run one suite: kernels or train (default: both)`)
    .option('--widths <list>', 'train: model widths (default 16,32)')
    .option('--models <list>', 'train: classifier and/or segmenter (default both)')
    .option('--batch <n>', 'train: images per step (default 8)')
    .option('--size <n>', 'train: image side in pixels (default 64)')
    .option('--steps <n>', 'train: measured steps per row (default 5)')
    .option('--threads <n>', 'Threads for our kernels (default: all cores; PyTorch gets as many)')
    .option('--no-tfjs', 'train: skip the tfjs peers')
    .option('--no-torch', 'train: skip PyTorch')
    .example('  epsx bench')
    .example('  epsx bench --only train --widths 16 --models classifier --threads 2')
    .action((flags: Record<string, unknown>) => {
      const suite = choiceOption('--only', flags.only, SUITES) ?? 'all';
      const widths = numberListOption('--widths', flags.widths, { min: 1, max: 256, integer: true });
      const modelsRaw = stringOption('--models', flags.models);
      const models = modelsRaw?.split(',').map((m) => choiceOption('--models', m.trim(), MODELS)!);
      const batch = numberOption('--batch', flags.batch, { min: 1, max: 256, integer: true });
      const size = numberOption('--size', flags.size, { min: 16, max: 1024, integer: true });
      const steps = numberOption('--steps', flags.steps, { min: 1, max: 1000, integer: true });
      const threads = numberOption('--threads', flags.threads, { min: 1, max: 64, integer: true });
      const noTfjs = flags.tfjs === false;
      const noTorch = flags.torch === false;
      const trainArgs = [
        ...(widths ? ['--widths', widths.join(',')] : []),
        ...(models ? ['--models', models.join(',')] : []),
        ...(batch ? ['--batch', String(batch)] : []),
        ...(size ? ['--size', String(size)] : []),
        ...(steps ? ['--steps', String(steps)] : []),
        ...(noTfjs ? ['--no-tfjs'] : []),
        ...(noTorch ? ['--no-torch'] : []),
      ];
      if (suite === 'kernels' && trainArgs.length > 0) throw new UserError(`--only kernels takes none of the train options (${trainArgs.filter((a) => a.startsWith('--')).join(', ')})`);
      const root = checkoutRoot();
      if (suite !== 'train') runScript(root, 'kernels.ts', [], threads);
      if (suite !== 'kernels') runScript(root, 'train-step.ts', trainArgs, threads);
    });
}
