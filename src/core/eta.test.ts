import { describe, expect, it } from 'vitest';
import { costsFromEpoch, currentCosts, epochSeconds, secondsLeft } from './eta';
import type { EpochMetrics, StepEstimate } from './events';

const epoch = (over: Partial<EpochMetrics>): EpochMetrics =>
  ({ epoch: 1, seconds: 30, evalSeconds: 10, work: { trainBatches: 10, evalBatches: 20 }, ...over }) as EpochMetrics;

describe('eta', () => {
  it('costs a completed epoch per training batch and per evaluation batch', () => {
    // 20 s of training over 10 batches, 10 s of evaluation over 20 batches.
    expect(costsFromEpoch(epoch({}))).toEqual({ trainBatch: 2, evalBatch: 0.5 });
    expect(costsFromEpoch(epoch({ work: undefined }))).toBeNull();
    expect(epochSeconds({ trainBatches: 10, evalBatches: 20 }, { trainBatch: 2, evalBatch: 0.5 })).toBe(30);
  });

  it('counts the rest of this epoch, its evaluation included, and the epochs to come', () => {
    const costs = { trainBatch: 2, evalBatch: 0.5 };
    const work = { trainBatches: 10, evalBatches: 20 };
    // Epoch 2 of 3 at batch 4: 6 x 2 + 20 x 0.5 = 22 s, then one epoch of 30 s.
    expect(secondsLeft({ totalEpochs: 3, epochsDone: 1, trainBatch: 4, evalBatch: 0, work }, costs)).toBe(52);
    // Evaluating epoch 2, 12 of 20 batches done: 8 x 0.5 = 4 s, then 30 s.
    expect(secondsLeft({ totalEpochs: 3, epochsDone: 1, trainBatch: 10, evalBatch: 12, work }, costs)).toBe(34);
    expect(secondsLeft({ totalEpochs: 3, epochsDone: 3, trainBatch: 0, evalBatch: 0, work }, costs)).toBe(0);
    expect(secondsLeft({ totalEpochs: 3, epochsDone: 0, trainBatch: 0, evalBatch: 0, work: null }, costs)).toBeNull();
  });

  it('prefers live measures, then the last epoch, then the timed step', () => {
    const estimate: StepEstimate = { trainBatchSeconds: 5, evalBatchSeconds: 1, work: { trainBatches: 1, evalBatches: 1 }, epochSeconds: 6, runSeconds: 6, epochs: 1 };
    expect(currentCosts(null, estimate)).toEqual({ trainBatch: 5, evalBatch: 1 });
    expect(currentCosts(epoch({}), estimate)).toEqual({ trainBatch: 2, evalBatch: 0.5 });
    expect(currentCosts(epoch({}), estimate, 3, 0.25)).toEqual({ trainBatch: 3, evalBatch: 0.25 });
    // Nothing about evaluation yet: a third of a training batch.
    expect(currentCosts(null, null, 3)).toEqual({ trainBatch: 3, evalBatch: 1 });
    expect(currentCosts(null, null)).toBeNull();
  });
});
