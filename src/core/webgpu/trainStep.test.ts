/**
 * The whole model on webgpu with the lab's kernels against the cpu backend: the loss of a training-mode forward
 * pass, the BatchNorm batch statistics and the gradient of every parameter, on a small model (width 1/16, two clips). Skipped, with the reason,
 * where Dawn finds no adapter.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { maxRelativeError } from '../../../test/support/testBackend';
import { initBackend } from '../backend';
import { createErm } from '../methods/erm';
import { AVModel } from '../model';
import { Rng } from '../random';
import type { BnUpdate } from '../resnet';
import { installNodeWebGpu } from './nodeWebGpu';
import { AUDIO_RGB } from '../modalities';

const gpu = await installNodeWebGpu();
if (!gpu.adapter) console.warn(`skipping the webgpu training-step test: ${gpu.reason}`);

// Large enough that layer4's BatchNorm sees 8 values per channel: with 2 (a 32 px frame) normalising amplifies
// float32 rounding to ~1e-3, on the package's kernels as on the lab's.
const AUDIO: [number, number, number, number] = [2, 65, 47, 1];
const VISUAL: [number, number, number, number, number] = [2, 1, 64, 64, 3];

async function lossAndGradients(audio: Float32Array, visual: Float32Array): Promise<{ loss: number; grads: Map<string, Float32Array>; stats: Map<string, Float32Array> }> {
  const model = new AVModel({ numClasses: 3, fusion: 'concat', width: 0.0625, modalities: AUDIO_RGB }, new Rng(5));
  const labels = tf.tensor1d([0, 2], 'int32');
  const batch = { audio: tf.tensor4d(audio, AUDIO), visual: tf.tensor5d(visual, VISUAL), labels, oneHot: tf.oneHot(labels, 3).toFloat() as tf.Tensor2D };
  const bnUpdates: BnUpdate[] = [];
  const names = new Map([...model.params.vars].map(([name, v]) => [v.name, name]));
  const { value, grads } = tf.variableGrads(() => createErm().batchLoss(model, batch, new Rng(1), { training: true, bnUpdates }).loss, model.trainableVariables());
  const out = { loss: (await value.data())[0], grads: new Map<string, Float32Array>(), stats: new Map<string, Float32Array>() };
  for (const [v, g] of Object.entries(grads)) out.grads.set(names.get(v) ?? v, (await g.data()) as Float32Array);
  for (const u of bnUpdates) {
    out.stats.set(`${u.name} mean`, (await u.mean.data()) as Float32Array);
    out.stats.set(`${u.name} var`, (await u.varUnbiased.data()) as Float32Array);
  }
  tf.dispose([value, ...Object.values(grads), ...bnUpdates.flatMap((u) => [u.mean, u.varUnbiased]), ...Object.values(batch)]);
  model.dispose();
  return out;
}

describe.skipIf(!gpu.adapter)('a training step on webgpu (lab kernels) against the cpu backend', () => {
  it('the loss, the BatchNorm batch statistics and every parameter gradient agree', async () => {
    await initBackend('cpu');
    tf.env().set('PROD', true);
    const inputs = [tf.randomNormal(AUDIO, 0, 1, 'float32', 1), tf.randomNormal(VISUAL, 0, 1, 'float32', 2)];
    const [audio, visual] = (await Promise.all(inputs.map((t) => t.data()))) as Float32Array[];
    tf.dispose(inputs);
    const want = await lossAndGradients(audio, visual);
    await initBackend('webgpu');
    const got = await lossAndGradients(audio, visual);
    expect(Math.abs(got.loss - want.loss) / Math.abs(want.loss)).toBeLessThan(1e-5);
    expect([...got.grads.keys()].sort()).toEqual([...want.grads.keys()].sort());
    expect(got.grads.size).toBeGreaterThan(60);
    let worst = 0;
    for (const [name, g] of want.grads) {
      const e = maxRelativeError(got.grads.get(name)!, g);
      worst = Math.max(worst, e);
      expect(e, name).toBeLessThan(1e-4);
    }
    for (const [name, s] of want.stats) expect(maxRelativeError(got.stats.get(name)!, s), name).toBeLessThan(1e-4);
    console.log(`worst parameter gradient error, webgpu vs cpu: ${worst.toExponential(2)}`);
  });
});
