/** Learning-rate schedules: plain functions of the step, applied by setting optimizer.lr. */

/** Polynomial decay (DeepLab/EPS): base * (1 - step/total)^power, 0 from step >= total. */
export function polyLr(base: number, step: number, total: number, power = 0.9): number {
  if (total <= 0 || step >= total) return 0;
  return base * Math.pow(1 - Math.max(0, step) / total, power);
}
