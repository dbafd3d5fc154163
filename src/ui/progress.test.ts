import { describe, expect, it } from 'vitest';
import { makeConfig } from '../core/config';
import type { EpochMetrics, StepEstimate } from '../core/events';
import { fakeEpochMetrics } from '../../test/support/fakeTrainer';
import { formatPercent, liveProgress, progressFraction } from './progress';
import { initialState, type LabState, type ProgressView } from './store';
import { newRunRecord } from './run';
import { AUDIO_RGB } from '../core/modalities';

const config = { ...makeConfig(), epochs: 4 };

function stateWith(progress: Partial<ProgressView>, epochs: EpochMetrics[], estimate: StepEstimate | null = null): LabState {
  const s = initialState(config);
  const run = { ...newRunRecord({ id: 'r', config, datasetId: 'demo', datasetName: 'demo', classNames: [], trainSize: 0, testSize: 0, modalities: AUDIO_RGB, backend: null }, 0), epochs };
  return {
    ...s,
    runs: { r: run },
    session: { ...s.session, state: 'running', runId: 'r', estimate },
    progress: { startEpoch: 0, epoch: 0, batch: 0, batches: 0, samplesPerSec: 0, activeMs: 0, runningSince: 0, ...progress },
  };
}

/** An epoch of 10 training batches (2 s each) and 5 evaluation batches (1 s each): 25 s. */
const measured = (epoch: number): EpochMetrics => ({ ...fakeEpochMetrics(config, epoch, 6, 30), seconds: 25, evalSeconds: 5, work: { trainBatches: 10, evalBatches: 5 } });

describe('progress', () => {
  it('computes the fraction of batches done over all epochs', () => {
    expect(progressFraction(1, 0, 10, 4)).toBe(0);
    expect(progressFraction(2, 5, 10, 4)).toBe(1.5 / 4);
    expect(progressFraction(4, 10, 10, 4)).toBe(1);
  });

  it('counts the evaluation passes in the time left, at their measured cost', () => {
    // After epoch 1, half-way through epoch 2's training (live cost 2 s a batch): 5 batches x 2 s + 5 evaluation
    // batches x 1 s left in this epoch, then two epochs of 25 s.
    const live = liveProgress(stateWith({ epoch: 2, batch: 5, batches: 10, trainSeconds: 10 }, [measured(1)]), 0)!;
    expect(live.eta).toBeCloseTo(15 + 50, 9);
    expect(live.epochSeconds).toBeCloseTo(25, 9);
    expect(live.fraction).toBeCloseTo((1 + 10 / 25) / 4, 9);
  });

  it('keeps counting down while an epoch is evaluated (the training batches are all done)', () => {
    const base = { epoch: 2, batch: 10, batches: 10, trainSeconds: 20 };
    // Evaluation began at t = 0 s; 2 of 5 batches done at 4 s: 2 s a batch now, 3 left, then two epochs.
    const during = liveProgress(stateWith({ ...base, eval: { epoch: 2, phase: 'train', batch: 2, batches: 5 }, evalSince: 0, evalAt: 4000 }, [measured(1)]), 4000)!;
    expect(during.eta).toBeCloseTo(3 * 2 + 2 * (10 * 2 + 5 * 2), 9);
    const later = liveProgress(stateWith({ ...base, eval: { epoch: 2, phase: 'test', batch: 4, batches: 5 }, evalSince: 0, evalAt: 8000 }, [measured(1)]), 8000)!;
    expect(later.eta!).toBeLessThan(during.eta!);
    expect(later.fraction).toBeGreaterThan(during.fraction);
  });

  it('goes by the timed step before the first epoch has been measured', () => {
    const estimate: StepEstimate = { trainBatchSeconds: 3, evalBatchSeconds: 1, work: { trainBatches: 10, evalBatches: 6 }, epochSeconds: 36, runSeconds: 144, epochs: 4 };
    const live = liveProgress(stateWith({}, [], estimate), 0)!;
    expect(live.eta).toBeCloseTo(4 * 36, 9);
    expect(liveProgress(stateWith({}, [], null), 0)!.eta).toBeNull();
  });

  it('formats percentages', () => {
    expect(formatPercent(0.625)).toBe('62.5%');
    expect(formatPercent(null)).toBe('–');
  });
});
