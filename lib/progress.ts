/**
 * Progress reporting for long work (training epochs, pseudo-masks, evaluation). The library
 * never prints: long-running functions take a ProgressReporter; the CLI passes a terminal one.
 */
export interface ProgressTask {
  /** Advance by n units; info is shown beside the bar (e.g. the current loss). */
  tick(n?: number, info?: Record<string, string | number>): void;
  done(): void;
}

/** Receives progress of long work: `start(label, total)` opens a task counted in `total` units (batches, images). */
export interface ProgressReporter {
  start(label: string, total: number): ProgressTask;
}

const silentTask: ProgressTask = { tick() {}, done() {} };

/** A reporter that reports nothing (the default for library calls). */
export const silentProgress: ProgressReporter = { start: () => silentTask };

/**
 * Let the event loop run (SIGINT handlers, timers, a page's repaint) between steps of long
 * work: resolves on the next turn, after pending I/O callbacks.
 */
export const yieldToEventLoop = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
