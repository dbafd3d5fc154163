/**
 * Progress of a run from its last batch: the fraction done, time left, and accuracy as a percentage (durations:
 * formatDuration.ts).
 */

/** Fraction of the run done after `batch` of `batches` in 1-based `epoch` of `totalEpochs`, in [0, 1]. */
export function progressFraction(epoch: number, batch: number, batches: number, totalEpochs: number): number {
  if (totalEpochs <= 0) return 0;
  const within = batches > 0 ? batch / batches : 0;
  return Math.min(1, Math.max(0, (epoch - 1 + within) / totalEpochs));
}

/**
 * Seconds left, extrapolating the active (unpaused) time spent going from `startFraction` (where this stretch
 * began, e.g. a resumed checkpoint) to `fraction`; null before anything is done. The time includes the
 * per-epoch evaluation passes, which a samples/s estimate would miss.
 */
export function etaSeconds(fraction: number, activeSeconds: number, startFraction = 0): number | null {
  const doneNow = fraction - startFraction;
  if (!(doneNow > 0) || !(activeSeconds > 0)) return null;
  if (fraction >= 1) return 0;
  return (activeSeconds * (1 - fraction)) / doneNow;
}

/** Accuracy fraction as a percentage with one decimal ("62.5%"); '–' when missing. */
export function formatPercent(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '–';
  return `${(fraction * 100).toFixed(digits)}%`;
}
