/**
 * Best and final test accuracy of a run, per head: the one place they are computed (the session's summary, the
 * CLI, the lab's runs table, status line and across-seeds statistics all read them from here). Best is the
 * maximum over epochs of each head's test accuracy, taken separately per head; final is the last epoch's.
 */
import type { EpochMetrics } from './events';

export interface ModalityAcc {
  fused: number;
  audio: number;
  visual: number;
}

export interface RunResults {
  best: ModalityAcc;
  final: ModalityAcc;
}

/** Best and final test accuracies over `epochs`; null before the first epoch. */
export function runResults(epochs: readonly Pick<EpochMetrics, 'testAcc' | 'audio' | 'visual'>[]): RunResults | null {
  if (epochs.length === 0) return null;
  const last = epochs[epochs.length - 1];
  const best: ModalityAcc = { fused: -Infinity, audio: -Infinity, visual: -Infinity };
  for (const m of epochs) {
    best.fused = Math.max(best.fused, m.testAcc);
    best.audio = Math.max(best.audio, m.audio.testAcc);
    best.visual = Math.max(best.visual, m.visual.testAcc);
  }
  return { best, final: { fused: last.testAcc, audio: last.audio.testAcc, visual: last.visual.testAcc } };
}
