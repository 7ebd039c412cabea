/** Learning-rate schedules: plain functions of the step, applied by setting optimizer.lr. */

/** Polynomial decay (DeepLab/EPS): base * (1 - step/total)^power, 0 from step >= total. */
export function polyLr(base: number, step: number, total: number, power = 0.9): number {
  if (total <= 0 || step >= total) return 0;
  return base * Math.pow(1 - Math.max(0, step) / total, power);
}

/** Share of a run's steps spent warming up (at least one step): 5%, as in Goyal et al. 2017's ~5 of 90 epochs. */
export const WARMUP_SHARE = 0.05;

/** Warm-up steps of a run of `total` steps: WARMUP_SHARE of them, at least 1 (none for an empty run). */
export function warmupSteps(total: number): number {
  return total <= 0 ? 0 : Math.max(1, Math.round(WARMUP_SHARE * total));
}

/**
 * The training schedule: polyLr scaled by a linear warm-up, (step + 1) / (warmup + 1) over the
 * first `warmup` steps (default warmupSteps(total)). From-scratch models need it: at full rate
 * the first steps' large, coherent gradients blow the loss up before BatchNorm statistics settle.
 */
export function trainLr(base: number, step: number, total: number, warmup = warmupSteps(total)): number {
  return polyLr(base, step, total) * Math.min(1, (Math.max(0, step) + 1) / (warmup + 1));
}
