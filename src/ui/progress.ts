/**
 * Progress of a run from the store: the fraction done and the time left, counted in work (training batches and
 * evaluation batches, each at its measured cost: src/core/eta.ts), and accuracy as a percentage (durations:
 * formatDuration.ts).
 */
import { currentCosts, epochSeconds, secondsLeft, type BatchCosts, type RunPosition } from '../core/eta';
import type { EpochWork } from '../core/events';
import type { LabState } from './store';

/** Fraction of the run done after `batch` of `batches` in 1-based `epoch` of `totalEpochs`, in [0, 1]. */
export function progressFraction(epoch: number, batch: number, batches: number, totalEpochs: number): number {
  if (totalEpochs <= 0) return 0;
  const within = batches > 0 ? batch / batches : 0;
  return Math.min(1, Math.max(0, (epoch - 1 + within) / totalEpochs));
}

export interface LiveProgress {
  /** Fraction of the run's work done, in [0, 1] (evaluation counted at its cost). */
  fraction: number;
  /** Seconds left; null before anything has been measured or timed. */
  eta: number | null;
  /** Seconds of one whole epoch at the current costs; null when unknown. */
  epochSeconds: number | null;
}

/**
 * Where the live run stands and how long it has left, at `nowMs`: the costs of the epoch in progress (its training
 * batches so far, its evaluation batches so far) refine those of the last epoch and of the timed step.
 */
export function liveProgress(state: Pick<LabState, 'progress' | 'session' | 'runs'>, nowMs: number): LiveProgress | null {
  const { progress, session } = state;
  const run = session.runId ? state.runs[session.runId] : undefined;
  if (!progress || !run) return null;
  const total = run.config.epochs;
  const last = run.epochs.length ? run.epochs[run.epochs.length - 1] : null;
  const epochsDone = last ? last.epoch : 0;
  if (session.state === 'done' || epochsDone >= total) return { fraction: 1, eta: 0, epochSeconds: null };
  const inEpoch = progress.epoch > epochsDone && progress.batches > 0;
  const evalNow = progress.eval && progress.eval.epoch > epochsDone ? progress.eval : null;
  const fallbackWork: EpochWork | null = last?.work ?? session.estimate?.work ?? null;
  const work: EpochWork | null = inEpoch ? { trainBatches: progress.batches, evalBatches: evalNow?.batches ?? fallbackWork?.evalBatches ?? 0 } : null;
  const liveTrain = inEpoch && progress.batch > 0 && progress.trainSeconds ? progress.trainSeconds / progress.batch : null;
  const evalElapsed = evalNow && progress.evalSince != null ? ((progress.evalAt ?? nowMs) - progress.evalSince) / 1000 : 0;
  const liveEval = evalNow && evalNow.batch > 0 ? evalElapsed / evalNow.batch : null;
  const costs: BatchCosts | null = currentCosts(last, session.estimate ?? null, liveTrain, liveEval);
  const position: RunPosition = {
    totalEpochs: total,
    epochsDone,
    trainBatch: inEpoch ? progress.batch : 0,
    evalBatch: evalNow ? evalNow.batch : 0,
    work,
  };
  let eta = secondsLeft(position, costs, fallbackWork);
  // Within an evaluation batch, the time since the last one is already spent.
  if (eta !== null && evalNow && progress.evalAt != null) eta = Math.max(0, eta - Math.min((nowMs - progress.evalAt) / 1000, costs?.evalBatch ?? 0));
  const perEpoch = costs && (work ?? fallbackWork) ? epochSeconds((work ?? fallbackWork)!, costs) : null;
  let fraction: number;
  if (perEpoch && perEpoch > 0 && costs) {
    const doneNow = position.trainBatch * costs.trainBatch + position.evalBatch * costs.evalBatch;
    fraction = Math.min(1, (epochsDone + Math.min(1, doneNow / perEpoch)) / total);
  } else {
    fraction = inEpoch ? progressFraction(progress.epoch, progress.batch, progress.batches, total) : epochsDone / total;
  }
  return { fraction, eta, epochSeconds: perEpoch };
}

/** Accuracy fraction as a percentage with one decimal ("62.5%"); '–' when missing. */
export function formatPercent(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '–';
  return `${(fraction * 100).toFixed(digits)}%`;
}
