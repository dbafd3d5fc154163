import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../test/support/testBackend';
import { makeDemoDataset } from '../data/demo';
import { BatchBuilder } from './batches';
import { AVModel } from './model';
import { conv2d } from './ops';
import { recomputeBnStats } from './preciseBn';
import { Rng } from './random';
import { AUDIO_RGB } from './modalities';

describe('recomputeBnStats', () => {
  it('sets each BatchNorm to the average of its batch statistics over the clean training batches', async () => {
    await useBackend('wasm');
    // 7 training clips in batches of 3: two batches; the last batch of one clip is skipped.
    const d = makeDemoDataset({ numClasses: 7, trainPerClass: 1, testPerClass: 1, audioHeight: 16, audioWidth: 16, frameSize: 16, frames: 1, seed: 4 });
    const model = new AVModel({ numClasses: 7, fusion: 'concat', width: 1 / 16, modalities: AUDIO_RGB }, new Rng(3));
    const builder = new BatchBuilder({ input: { audioHeight: 16, audioWidth: 16, visualSize: 16, frames: 1 }, stored: d, numClasses: 7 });
    model.params.get('audio_net.bn1.running_mean').assign(tf.fill([model.params.get('audio_net.bn1.running_mean').shape[0]], 5));
    model.params.bnBatchesTracked.set('audio_net.bn1', 17);

    // Independently: conv1's output per batch, its per-channel mean and unbiased variance, averaged over batches.
    const means: number[][] = [];
    const vars: number[][] = [];
    for (const indices of [[0, 1, 2], [3, 4, 5]]) {
      const b = builder.batch(d.train, indices, null);
      const x = conv2d(b.audio as tf.Tensor4D, model.params.get('audio_net.conv1.weight') as unknown as tf.Tensor4D, 2, 3, false);
      const m = tf.moments(x, [0, 1, 2]);
      const n = x.shape[0] * x.shape[1] * x.shape[2];
      means.push(Array.from(await m.mean.data()));
      vars.push(Array.from(await m.variance.data()).map((v) => (v * n) / (n - 1)));
      tf.dispose([x, m.mean, m.variance, b.audio, b.visual, b.labels, b.oneHot]);
    }
    await recomputeBnStats(model, d.train, builder, 3);
    const gotMean = Array.from(await model.params.get('audio_net.bn1.running_mean').data());
    const gotVar = Array.from(await model.params.get('audio_net.bn1.running_var').data());
    gotMean.forEach((v, c) => expect(v).toBeCloseTo((means[0][c] + means[1][c]) / 2, 4));
    gotVar.forEach((v, c) => expect(v / ((vars[0][c] + vars[1][c]) / 2)).toBeCloseTo(1, 4));
    expect(model.params.bnBatchesTracked.get('audio_net.bn1')).toBe(17);
    model.dispose();
  });
});
