/**
 * The same classifier training step (width 16, batch 8, 64x64, forward + class loss + backward
 * + SGD with momentum) timed in several checkouts of epsx, interleaved round by round so that
 * a shared machine's load falls on all of them alike. Prints each checkout's median process
 * CPU time and wall time per step over the rounds, and each one's ratio to the first; on Linux
 * also the main thread's CPU time per step (a round's mean, median over rounds): the host code and the main thread's share of each launch
 * run there, so on an idle machine it is the step's critical path (wall = main-thread CPU +
 * waiting for the workers), and unlike wall time it holds up when other processes load the
 * cores; and, for checkouts whose thread pool counts it (ops/kernels/threads.ts `waitedMs`),
 * the main thread's time per step blocked on the workers after its own rows.
 *
 *   node --import tsx bench/step-versions.ts OLD_CHECKOUT NEW_CHECKOUT [--rounds 3] [--steps 10] [--threads 2]
 *
 * A checkout is a folder with lib/index.ts (e.g. `git archive REV | tar -x -C DIR`, with
 * node_modules linked in). Each (round, checkout) runs in a fresh process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Sample {
  cpu: number;
  /** Main-thread CPU ms (Linux /proc), NaN elsewhere. */
  main: number;
  /** Main-thread ms blocked on the kernel thread pool's workers per step (a round's mean;
   * NaN for checkouts whose pool does not count it). */
  wait: number;
  wall: number;
  loss: number;
}

/** This thread's CPU time in ms (user + system clock ticks of /proc/self/task/<pid>/stat:
 * 10 ms ticks, so read over several steps), NaN where /proc is missing. */
function mainThreadMs(): number {
  try {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

const middle = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Child: time `steps` steps in one checkout (after two warm-up steps) and print medians as JSON. */
async function child(root: string, steps: number): Promise<void> {
  const E = await import(pathToFileURL(resolve(root, 'lib/index.ts')).href);
  // checkouts since the pool counts it: the main thread's time blocked on workers
  const pool = (await import(pathToFileURL(resolve(root, 'ops/kernels/threads.ts')).href)) as { waitedMs?: number };
  E.setBackend('webasm');
  const [N, C] = [8, 6];
  const model = new E.Classifier({ numClasses: C, width: 16 });
  const opt = new E.SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
  const x = E.randn([N, 3, 64, 64], { rng: new E.Rng(1) });
  const y = E.tensor(Array.from({ length: N * C }, (_, i) => (i % 3 === 0 ? 1 : 0)), [N, C]);
  const cpu: number[] = [];
  const wall: number[] = [];
  let loss = 0;
  let [main0, wait0] = [0, 0];
  for (let s = 0; s < steps + 2; s++) {
    if (s === 2) [main0, wait0] = [mainThreadMs(), pool.waitedMs ?? NaN];
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    opt.zeroGrad();
    const l = E.clsLoss(model.forward(x).scores, y);
    l.backward();
    opt.step();
    loss = l.item();
    const c = process.cpuUsage(c0);
    if (s < 2) continue;
    cpu.push((c.user + c.system) / 1000);
    wall.push(performance.now() - t0);
  }
  const main = (mainThreadMs() - main0) / steps;
  const wait = ((pool.waitedMs ?? NaN) - wait0) / steps;
  console.log(JSON.stringify({ cpu: middle(cpu), main, wait, wall: middle(wall), loss } satisfies Sample));
}

function parent(argv: string[]): void {
  const roots: string[] = [];
  const opt = { rounds: 3, steps: 10, threads: 2 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--rounds' || a === '--steps' || a === '--threads') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} expects a positive integer, got ${JSON.stringify(argv[i])}`);
      opt[a.slice(2) as keyof typeof opt] = v;
    } else if (existsSync(resolve(a, 'lib/index.ts'))) roots.push(resolve(a));
    else throw new Error(`${a}: not an epsx checkout (no lib/index.ts)`);
  }
  if (roots.length === 0) throw new Error('give at least one checkout folder');
  const samples = roots.map((): Sample[] => []);
  const self = fileURLToPath(import.meta.url);
  for (let r = 0; r < opt.rounds; r++)
    roots.forEach((root, i) => {
      const env = { ...process.env, EPSX_THREADS: String(opt.threads) };
      const p = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', root, String(opt.steps)], { encoding: 'utf8', env, cwd: root });
      if (p.status !== 0) throw new Error(`${root}: ${p.stderr.trim().split('\n').pop()}`);
      samples[i]!.push(JSON.parse(p.stdout.trim().split('\n').pop()!) as Sample);
    });
  console.log(`classifier training step, width 16, batch 8, 64x64, ${opt.threads} thread(s); medians over ${opt.rounds} interleaved rounds of ${opt.steps} steps`);
  const base = middle(samples[0]!.map((s) => s.cpu));
  const baseWall = middle(samples[0]!.map((s) => s.wall));
  const baseMain = middle(samples[0]!.map((s) => s.main));
  roots.forEach((root, i) => {
    const cpu = middle(samples[i]!.map((s) => s.cpu));
    const wall = middle(samples[i]!.map((s) => s.wall));
    const spread = samples[i]!.map((s) => s.cpu.toFixed(0)).join('/');
    const main = middle(samples[i]!.map((s) => s.main));
    const mainText = Number.isNaN(main) ? '' : `; main thread CPU ${main.toFixed(1)} ms, ${(baseMain / main).toFixed(2)}x`;
    const wait = middle(samples[i]!.map((s) => s.wait ?? NaN));
    const waitText = Number.isNaN(wait) ? '' : `; waiting for workers ${wait.toFixed(1)} ms`;
    console.log(`${root}: CPU ${cpu.toFixed(1)} ms/step (rounds ${spread}), ${(base / cpu).toFixed(2)}x the first by CPU; wall ${wall.toFixed(1)} ms, ${(baseWall / wall).toFixed(2)}x${mainText}${waitText}; loss after the steps ${samples[i]![0]!.loss}`);
  });
}

const args = process.argv.slice(2);
if (args[0] === '--child') await child(args[1]!, Number(args[2]));
else {
  try {
    parent(args);
  } catch (e) {
    console.error(`bench/step-versions: ${(e as Error).message}`);
    process.exit(2);
  }
}
