import { describe, expect, it } from 'vitest';
import { makeDemoDataset } from '../data/demo';
import { useBackend } from '../../test/support/testBackend';
import { makeConfig } from './config';
import type { SessionEvent } from './events';
import { TrainingSession } from './session';
import { microBatchRanges } from './trainStep';

describe('micro-batches', () => {
  it('split a batch into pieces of the size asked for; a last piece of one clip joins the one before', () => {
    expect(microBatchRanges(8, 3)).toEqual([
      [0, 3],
      [3, 6],
      [6, 8],
    ]);
    expect(microBatchRanges(7, 3)).toEqual([
      [0, 3],
      [3, 7],
    ]);
    expect(microBatchRanges(8, 0)).toEqual([[0, 8]]);
    expect(microBatchRanges(8, 8)).toEqual([[0, 8]]);
    expect(microBatchRanges(8, 20)).toEqual([[0, 8]]);
  });

  it('train with one Adam step per batch and BatchNorm statistics per micro-batch; micro-batches as large as the batch change nothing', async () => {
    await useBackend('wasm');
    const dataset = makeDemoDataset({ numClasses: 3, trainPerClass: 4, testPerClass: 2, audioHeight: 16, audioWidth: 16, frameSize: 16, frames: 1, seed: 0 });
    const config = (microBatch: number) =>
      makeConfig({ preset: 'tiny', width: 0.0625, batch: 6, epochs: 1, featuresMax: 0, audioHeight: 16, audioWidth: 16, visualSize: 16, bnStats: 'running', microBatch });
    const run = async (microBatch: number) => {
      const s = await TrainingSession.create({ config: config(microBatch), dataset, keepCurrentBackend: true });
      const losses: number[] = [];
      s.on((e: SessionEvent) => e.type === 'batch' && losses.push(e.progress.loss));
      await s.run();
      const { bnBatchesTracked, weights } = await s.weights();
      s.dispose();
      return { losses, tracked: bnBatchesTracked.get('audio_net.bn1')!, weights };
    };
    const whole = await run(0);
    const same = await run(6);
    const split = await run(3);
    // 12 clips in batches of 6: 2 steps; as micro-batches of 3, BatchNorm counts 4 batches.
    expect(whole.losses).toHaveLength(2);
    expect(split.losses).toHaveLength(2);
    expect(whole.tracked).toBe(2);
    expect(split.tracked).toBe(4);
    expect(same.losses).toEqual(whole.losses);
    // The first step's loss is the size-weighted mean of the two halves' losses: not the whole batch's (BatchNorm
    // normalises each half by its own statistics), but close to it at initialisation.
    expect(split.losses[0]).not.toBe(whole.losses[0]);
    expect(Math.abs(split.losses[0] - whole.losses[0])).toBeLessThan(0.5);
    const w = (r: typeof whole) => Array.from(r.weights.get('fusion_module.fc_out.weight')!);
    expect(w(same)).toEqual(w(whole));
    expect(w(split)).not.toEqual(w(whole));
  });
});
