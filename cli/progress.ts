/**
 * Terminal progress: cli-progress bars with ETA on a TTY; on a non-TTY (CI logs) one line
 * per finished task instead of redraw noise.
 */
import cliProgress from 'cli-progress';
import type { ProgressReporter, ProgressTask } from '../lib/progress.js';

function formatInfo(info: Record<string, string | number>): string {
  return Object.entries(info)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? (Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v * 100) / 100) : v.toFixed(4)) : v}`)
    .join('  ');
}

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  // One live bar at a time: a task that starts while another's bar is drawn (stages trained
  // side by side) reports like a non-TTY task, one line when it ends.
  let barActive = false;
  return {
    start(label: string, total: number): ProgressTask {
      const t0 = Date.now();
      let last: Record<string, string | number> = {};
      if (!stream.isTTY || barActive) {
        let count = 0;
        return {
          tick: (n = 1, info) => {
            count += n;
            if (info) last = info;
          },
          // A task that failed or was stopped is not "done": nothing when it never started
          // (the error that follows says why), how far it got when it stopped part way.
          done: () => {
            if (count === 0 && total > 0) return;
            const extra = Object.keys(last).length ? `  ${formatInfo(last)}` : '';
            const seconds = ((Date.now() - t0) / 1000).toFixed(1);
            stream.write(count < total ? `${label}: stopped after ${count}/${total} in ${seconds}s${extra}\n` : `${label}: done in ${seconds}s${extra}\n`);
          },
        };
      }
      const bar = new cliProgress.SingleBar(
        { format: `${label.padEnd(22)} {bar} {percentage}% | {value}/{total} | ETA {eta_formatted} | {info}`, stream, hideCursor: true, etaBuffer: 20, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { info: '' });
      barActive = true;
      let value = 0;
      return {
        tick: (n = 1, info) => {
          value += n;
          if (info) last = info;
          bar.update(value, { info: formatInfo(last) });
        },
        done: () => {
          bar.stop();
          barActive = false;
        },
      };
    },
  };
}
