/**
 * Time left in a run, counted in work rather than in epochs: every epoch is its training batches plus the batches
 * of its evaluation passes (BN statistics, training set, test set), and each kind of batch has its own cost in
 * seconds. Costs come from what was measured last: the epoch in progress, then the last completed epoch, then the
 * timed step before training (`StepEstimate`). The page and the CLI both use this, so their ETAs agree and neither
 * stalls while an epoch is being evaluated.
 */
import type { EpochMetrics, EpochWork, StepEstimate } from './events';

/** Seconds per training batch and per evaluation batch. */
export interface BatchCosts {
  trainBatch: number;
  evalBatch: number;
}

/** Where a run stands within its current epoch. */
export interface RunPosition {
  totalEpochs: number;
  /** Epochs complete. */
  epochsDone: number;
  /** Training batches done in the current epoch (all of them once it is evaluating). */
  trainBatch: number;
  /** Evaluation batches done in the current epoch (0 while training). */
  evalBatch: number;
  /** The current epoch's work, when known (from its batch and evaluating events). */
  work: EpochWork | null;
}

/** Seconds of one epoch's work at the given costs. */
export function epochSeconds(work: EpochWork, costs: BatchCosts): number {
  return work.trainBatches * costs.trainBatch + work.evalBatches * costs.evalBatch;
}

/** The costs measured in a completed epoch; null for epochs recorded before the lab kept them. */
export function costsFromEpoch(m: EpochMetrics): BatchCosts | null {
  if (!m.work || m.evalSeconds === undefined || m.work.trainBatches <= 0) return null;
  const trainSeconds = Math.max(0, m.seconds - m.evalSeconds);
  return { trainBatch: trainSeconds / m.work.trainBatches, evalBatch: m.work.evalBatches > 0 ? m.evalSeconds / m.work.evalBatches : 0 };
}

/** The costs a timed step predicts. */
export function costsFromEstimate(e: StepEstimate): BatchCosts {
  return { trainBatch: e.trainBatchSeconds, evalBatch: e.evalBatchSeconds };
}

/**
 * Seconds left: the rest of the current epoch plus the epochs still to come, each as large as the current one (or
 * as `fallbackWork` says before the current one is known). Null when there are no costs to go by.
 */
export function secondsLeft(position: RunPosition, costs: BatchCosts | null, fallbackWork: EpochWork | null = null): number | null {
  const remainingEpochs = position.totalEpochs - position.epochsDone;
  if (remainingEpochs <= 0) return 0;
  const work = position.work ?? fallbackWork;
  if (!costs || !work) return null;
  const trainLeft = Math.max(0, work.trainBatches - position.trainBatch);
  const evalLeft = Math.max(0, work.evalBatches - position.evalBatch);
  const current = trainLeft * costs.trainBatch + evalLeft * costs.evalBatch;
  return current + (remainingEpochs - 1) * epochSeconds(work, costs);
}

/**
 * The best costs available: the training cost of the epoch in progress (`liveTrainBatch`, seconds per batch so
 * far) and the evaluation cost of the epoch being evaluated (`liveEvalBatch`) override those of the last epoch,
 * which override the timed step's.
 */
export function currentCosts(
  lastEpoch: EpochMetrics | null,
  estimate: StepEstimate | null,
  liveTrainBatch: number | null = null,
  liveEvalBatch: number | null = null,
): BatchCosts | null {
  const base = (lastEpoch && costsFromEpoch(lastEpoch)) ?? (estimate ? costsFromEstimate(estimate) : null);
  const trainBatch = liveTrainBatch ?? base?.trainBatch ?? null;
  if (trainBatch === null) return null;
  // Without any measure of evaluation yet, count an evaluation batch as a training batch's forward third.
  const evalBatch = liveEvalBatch ?? base?.evalBatch ?? trainBatch / 3;
  return { trainBatch, evalBatch };
}
