import { describe, expect, it } from 'vitest';
import { initBackend } from '../core/backend';
import { makeConfig } from '../core/config';
import type { SessionEvent } from '../core/events';
import { TrainingSession } from '../core/session';
import { useBackend } from '../../test/support/testBackend';
import { makeDemoDataset } from '../data/demo';
import { isDeviceLoss, resumeOnBackend } from './deviceLoss';

describe('GPU device loss', () => {
  it('is recognised only on WebGPU and only from device-loss messages', () => {
    expect(isDeviceLoss('training failed: GPU device was lost: Device was destroyed.', 'webgpu')).toBe(true);
    expect(isDeviceLoss('training ran out of memory (GPUDevice.createBuffer failed)', 'webgpu')).toBe(true);
    expect(isDeviceLoss('training failed: GPU device was lost', 'wasm')).toBe(false);
    expect(isDeviceLoss('the loss became NaN at epoch 2, batch 1', 'webgpu')).toBe(false);
  });

  it('carries the run over to another backend from its last completed epoch: no epoch lost, none repeated', async () => {
    await useBackend('wasm');
    const config = makeConfig({ preset: 'tiny', width: 0.0625, batch: 4, epochs: 3, method: 'mm', audioHeight: 16, audioWidth: 16, visualSize: 16, featuresMax: 0 });
    const dataset = makeDemoDataset({ numClasses: 3, trainPerClass: 4, testPerClass: 2, audioHeight: 16, audioWidth: 16, frameSize: 16, seed: 0 });
    const first = await TrainingSession.create({ config, dataset, keepCurrentBackend: true });
    await first.runEpoch();
    // Half of epoch 2, then the "device" goes away.
    first.on((e) => {
      if (e.type === 'batch' && e.progress.batch === 2) first.pause();
    });
    await first.run();
    expect(first.epoch).toBe(1);
    const switched: string[] = [];
    const next = await resumeOnBackend(first, 'cpu', async (b) => {
      switched.push(b);
      return initBackend(b);
    });
    expect(switched).toEqual(['cpu']);
    expect(next.config.backend).toBe('cpu');
    expect(next.epoch).toBe(1);
    const events: SessionEvent[] = [];
    next.on((e) => events.push(e));
    await next.run();
    expect(next.state).toBe('done');
    expect(next.metrics.map((m) => m.epoch)).toEqual([1, 2, 3]);
    expect(events.filter((e) => e.type === 'epoch').map((e) => (e.type === 'epoch' ? e.metrics.epoch : 0))).toEqual([2, 3]);
    next.dispose();
    await useBackend('wasm');
  });
});
