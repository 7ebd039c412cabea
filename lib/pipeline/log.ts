/**
 * log.jsonl: one JSON record per training step (and a few events), appended as they happen.
 * On resume the records a resumed stage will produce again are dropped first, so the
 * file reads as one uninterrupted run.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { describeFsError, writeFileAtomic } from '../atomic.js';
import { UserError } from '../core/errors.js';
import type { StepRecord } from '../train/trainer.js';

/** Where a stage sends its step records (the run log, or a worker's message port). */
export interface StepSink {
  append(r: StepRecord): void;
  /** Forget a stage's records from step `first` on (they are about to be produced again). */
  dropFrom(stage: string, first: number): void;
  /** Put these stages' records last, stage by stage in this order (each in its own order), as
   * if the stages had run one after the other: stages trained side by side interleave. */
  settle?(stages: readonly string[]): void;
}

export class RunLog implements StepSink {
  readonly records: StepRecord[] = [];

  constructor(private readonly path: string) {
    if (!existsSync(path)) return;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      try {
        if (line.trim()) this.records.push(JSON.parse(line) as StepRecord);
      } catch {
        // a line cut by a crash mid-append: skip it
      }
    }
  }

  dropFrom(stage: string, first: number): void {
    const kept = this.records.filter((r) => r.stage !== stage || r.step < first);
    if (kept.length === this.records.length) return;
    this.records.splice(0, this.records.length, ...kept);
    writeFileAtomic(this.path, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  }

  settle(stages: readonly string[]): void {
    const rest = this.records.filter((r) => !stages.includes(r.stage));
    const ordered = [...rest, ...stages.flatMap((st) => this.records.filter((r) => r.stage === st))];
    if (ordered.every((r, i) => r === this.records[i])) return;
    this.records.splice(0, this.records.length, ...ordered);
    writeFileAtomic(this.path, ordered.map((r) => JSON.stringify(r) + '\n').join(''));
  }

  append(r: StepRecord): void {
    this.records.push(r);
    try {
      appendFileSync(this.path, JSON.stringify(r) + '\n');
    } catch (e) {
      throw new UserError(`cannot write ${this.path}: ${describeFsError(e)}`);
    }
  }

  stage(name: string): StepRecord[] {
    return this.records.filter((r) => r.stage === name);
  }
}
