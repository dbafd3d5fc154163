/**
 * B-MM's plan for an epoch (METHOD.md section 3) as plain numbers, without tensors, so the page's charts (which
 * say which modality each epoch mixed) use the very rule the method trains with: the rho it plans with
 * (`plannedRho`) and the weak modality and strength m from that rho (`balancePlan`).
 */
import type { BmmOptions } from './config';

export type Modality = 'audio' | 'visual';

export interface BalancePlan {
  /** The modality to mix (null: none, during warm-up or before rho is known). */
  weak: Modality | null;
  /** Mixing strength in [0, 1). */
  m: number;
}

/**
 * The rho B-MM plans with: the last epoch's, or with `rhoSmoothing` s > 0 an exponential average of log rho over
 * the epochs so far, L_k = s L_(k-1) + (1 - s) log rho_k (geometric, so rho and 1/rho weigh the same).
 * Degenerate values (0, infinite) are skipped.
 */
export function plannedRho(history: readonly number[], smoothing: number): number | null {
  const valid = history.filter((r) => Number.isFinite(r) && r > 0);
  if (valid.length === 0) return null;
  if (smoothing <= 0) return valid[valid.length - 1];
  let log = Math.log(valid[0]);
  for (const r of valid.slice(1)) log = smoothing * log + (1 - smoothing) * Math.log(r);
  return Math.exp(log);
}

/** Weak modality and m for an epoch, from rho (METHOD.md section 3), m bounded by `maxM`. */
export function balancePlan(rho: number | null, epoch: number, options: BmmOptions): BalancePlan {
  // No balancing during warm-up, before rho is known, or if rho is degenerate (a score of exactly 0).
  if (rho === null || epoch < options.warmup || !Number.isFinite(rho) || rho <= 0) return { weak: null, m: 0 };
  const weak: Modality = rho > 1 ? 'visual' : 'audio';
  const r = Math.max(rho, 1 / rho);
  const m = options.coef === 'tanh(beta*r)' ? Math.tanh(options.beta * r) : Math.tanh(options.beta * (r - 1));
  return { weak, m: Math.min(m, options.maxM) };
}
