/**
 * Best and final test accuracy of a run, per head: the one place they are computed (the session's summary, the
 * CLI, the lab's runs table, status line and across-seeds statistics all read them from here). Final is the last
 * epoch's. Best, per head: with a validation split (every epoch has `val`), the test accuracy at the epoch whose
 * validation accuracy of that head is highest (the earliest such epoch), as model selection should be; without one,
 * the maximum over epochs of the head's test accuracy, which picks the epoch on the test set itself and reads
 * optimistic (`rule` says which).
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
  /** How "best" was chosen: at the best validation epoch, or as the best test epoch. */
  rule: BestRule;
}

export type BestRule = 'validation' | 'test';

/** How a table names the rule behind its "best" column. */
export const BEST_RULE_TEXT: Record<BestRule, string> = {
  validation: 'test accuracy at the best validation epoch',
  test: 'best test epoch (no validation split: optimistic)',
};

/** Best and final test accuracies over `epochs`; null before the first epoch. */
export function runResults(epochs: readonly Pick<EpochMetrics, 'testAcc' | 'audio' | 'visual' | 'val'>[]): RunResults | null {
  if (epochs.length === 0) return null;
  const last = epochs[epochs.length - 1];
  const final: ModalityAcc = { fused: last.testAcc, audio: last.audio.testAcc, visual: last.visual.testAcc };
  const test = (m: (typeof epochs)[number]): ModalityAcc => ({ fused: m.testAcc, audio: m.audio.testAcc, visual: m.visual.testAcc });
  if (epochs.every((m) => m.val)) {
    const best = {} as ModalityAcc;
    for (const head of ['fused', 'audio', 'visual'] as const) {
      let at = 0;
      epochs.forEach((m, i) => {
        if (m.val![head] > epochs[at].val![head]) at = i;
      });
      best[head] = test(epochs[at])[head];
    }
    return { best, final, rule: 'validation' };
  }
  const best: ModalityAcc = { fused: -Infinity, audio: -Infinity, visual: -Infinity };
  for (const m of epochs) {
    best.fused = Math.max(best.fused, m.testAcc);
    best.audio = Math.max(best.audio, m.audio.testAcc);
    best.visual = Math.max(best.visual, m.visual.testAcc);
  }
  return { best, final, rule: 'test' };
}
