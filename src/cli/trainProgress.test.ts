import { describe, expect, it } from 'vitest';
import type { EpochMetrics } from '../core/events';
import { TrainProgress } from './trainProgress';

const batch = (epoch: number, b: number, batches: number, seconds: number) =>
  ({ type: 'batch', progress: { epoch, batch: b, batches, loss: 1, acc: 0.5, mix: null, samplesPerSec: 8 / seconds, seconds } }) as const;

describe('TrainProgress', () => {
  it('says where training stands, then the evaluation phase, with an ETA that counts evaluation', () => {
    let t = 0;
    const written: string[] = [];
    const bar = new TrainProgress({ isTTY: false, write: (s) => written.push(s) }, 2, true, 0, false, 0, () => t);
    bar.update(batch(1, 1, 4, 2));
    bar.update(batch(1, 2, 4, 2));
    // Nothing measured about evaluation yet: an evaluation batch counts as a third of a training batch.
    expect(bar.text()).toBe(`epoch 1/2  batch 2/4  ETA ${Math.round(2 * 2 + 0 + 4 * 2)} s`);
    bar.update(batch(1, 3, 4, 2));
    bar.update(batch(1, 4, 4, 2));
    bar.update({ type: 'evaluating', progress: { epoch: 1, phase: 'bn', batch: 0, batches: 6 } });
    t = 3000;
    bar.update({ type: 'evaluating', progress: { epoch: 1, phase: 'train', batch: 3, batches: 6 } });
    // 1 s an evaluation batch: 3 left, then one epoch of 4 x 2 + 6 x 1 = 14 s.
    expect(bar.text()).toBe('epoch 1/2  evaluating (BN statistics, train pass for rho, test pass): train pass for rho 3/6  ETA 17 s');
    bar.update({ type: 'epoch', metrics: { epoch: 1, seconds: 14, evalSeconds: 6, work: { trainBatches: 4, evalBatches: 6 } } as EpochMetrics });
    bar.markStopping();
    expect(written[written.length - 1]).toMatch(/^stopping…/);
  });

  it('redraws one line on a terminal and clears it before epoch lines', () => {
    const written: string[] = [];
    const bar = new TrainProgress({ isTTY: true, write: (s) => written.push(s) }, 1, false);
    bar.update(batch(1, 1, 2, 1));
    expect(written[0]).toBe('\r\x1b[2Kepoch 1/1  batch 1/2  ETA 1 s');
    bar.update({ type: 'evaluating', progress: { epoch: 1, phase: 'test', batch: 1, batches: 2 } });
    expect(written[1]).toMatch(/evaluating \(train pass for rho, test pass\): test pass 1\/2/);
    bar.update({ type: 'epoch', metrics: { epoch: 1, seconds: 2, evalSeconds: 1, work: { trainBatches: 2, evalBatches: 2 } } as EpochMetrics });
    expect(written[written.length - 1]).toBe('\r\x1b[2K');
  });

  it('shows G-Blending’s probe with its batches and no ETA from them', () => {
    const written: string[] = [];
    const bar = new TrainProgress({ isTTY: true, write: (s) => written.push(s) }, 3, false);
    bar.update({ type: 'evaluating', progress: { epoch: 1, phase: 'blend', batch: 5, batches: 24 } });
    expect(written.at(-1)).toBe('\r\x1b[2Kepoch 1/3  G-Blending probe (measuring the loss weights) 5/24');
  });
});
