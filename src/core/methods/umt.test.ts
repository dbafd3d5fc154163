/** UMT against hand-computed values: the distillation term, the loss of a batch, the teachers' checks. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../../test/support/testBackend';
import { makeConfig } from '../config';
import { exportSafetensors } from '../export';
import { AUDIO_FLOW, AUDIO_RGB } from '../modalities';
import { AVModel, modelParamSpecs, type ModelOptions } from '../model';
import { Rng } from '../random';
import { TrainingSession } from '../session';
import { makeDemoDataset } from '../../data/demo';
import { createMethod } from './index';
import { loadTeacher, meanSquaredError } from './umt';
import { smallBatch } from '../../../test/support/smallBatch';

const OPTIONS: ModelOptions = { numClasses: 3, fusion: 'concat', width: 0.0625, modalities: AUDIO_RGB };

/** A model's weights as the lab exports them, with `method` in the metadata. */
async function weightsOf(model: AVModel, method: string): Promise<Uint8Array> {
  const o = model.options;
  return exportSafetensors(modelParamSpecs(o), await model.params.read(), new Map(), {
    classNames: ['a', 'b', 'c'],
    fusion: o.fusion,
    method,
    preset: 'tiny',
    width: o.width,
    modalities: o.modalities,
    audioShape: [1, 8, 8],
    visualShape: [o.modalities[1] === 'flow' ? 2 : 3, 1, 8, 8],
  });
}


describe('UMT', () => {
  it('MSE is the mean over batch and feature: ((1-0)^2 + (2-4)^2 + (0-0)^2 + (3-0)^2) / 4 = 3.5', async () => {
    await useBackend('cpu');
    expect(await meanSquaredError(tf.tensor2d([[1, 2], [0, 3]]), tf.tensor2d([[0, 4], [0, 0]])).data()).toEqual(new Float32Array([3.5]));
  });

  it('a batch’s loss is CE(fused) + alpha (MSE(z_a, t_a) + MSE(z_v, t_v)), the teachers’ features in evaluation mode', async () => {
    await useBackend('cpu');
    const student = new AVModel(OPTIONS, new Rng(1));
    const audio = new AVModel(OPTIONS, new Rng(2));
    const visual = new AVModel(OPTIONS, new Rng(3));
    const method = createMethod(makeConfig({ method: 'umt', umt: { alpha: 0.5 } }), { teachers: { audio, visual } });
    const b = smallBatch();
    const forward = { training: false } as const;
    const got = await method.batchLoss(student, b, new Rng(0), forward).loss.data();
    // By hand from the pieces: softmax cross-entropy, squared differences averaged over all entries.
    const out = student.forward(b.audio, b.visual, forward);
    const logits = (await out.logits.array()) as number[][];
    const labels = [0, 1, 2, 1];
    const ce = logits.reduce((s, row, i) => s - (row[labels[i]] - Math.log(row.reduce((t, x) => t + Math.exp(x), 0))), 0) / 4;
    const mse = async (a: tf.Tensor2D, t: tf.Tensor2D) => {
      const [x, y] = [(await a.data()) as Float32Array, (await t.data()) as Float32Array];
      return x.reduce((s, v, i) => s + (v - y[i]) ** 2, 0) / x.length;
    };
    const distill = (await mse(out.za, audio.encodeAudio(b.audio, forward))) + (await mse(out.zv, visual.encodeVisual(b.visual, forward)));
    expect(distill).toBeGreaterThan(0.01);
    expect(got[0]).toBeCloseTo(ce + 0.5 * distill, 4);
    for (const m of [student, audio, visual]) m.dispose();
  });

  it('refuses to train without teachers, and teachers that cannot teach this model', async () => {
    await useBackend('cpu');
    expect(() => createMethod(makeConfig({ method: 'umt' }))).toThrow(/method umt needs two teachers/);
    const audioOnly = await weightsOf(new AVModel(OPTIONS, new Rng(2)), 'audio-only');
    expect(loadTeacher(audioOnly, 'a.safetensors', 'audio', OPTIONS).options).toEqual(OPTIONS);
    expect(() => loadTeacher(audioOnly, 'a.safetensors', 'visual', OPTIONS)).toThrow('UMT visual teacher a.safetensors: trained with method audio-only; a teacher is a visual-only run');
    expect(() => loadTeacher(audioOnly, 'a.safetensors', 'audio', { ...OPTIONS, width: 0.125 })).toThrow('width 0.0625, the model\'s is 0.125');
    const flow = await weightsOf(new AVModel({ ...OPTIONS, modalities: AUDIO_FLOW }, new Rng(2)), 'visual-only');
    expect(() => loadTeacher(flow, 'f.safetensors', 'visual', OPTIONS)).toThrow('UMT visual teacher f.safetensors: its second branch is flow, the model\'s is rgb');
    expect(() => loadTeacher(new Uint8Array([1, 2, 3]), 'x.safetensors', 'audio', OPTIONS)).toThrow(/^UMT audio teacher x.safetensors: /);
    // A session of method umt without teachers fails before training, saying what to provide.
    const dataset = makeDemoDataset({ numClasses: 3, trainPerClass: 2, testPerClass: 1, audioHeight: 8, audioWidth: 8, frameSize: 8, frames: 1, seed: 1 });
    const config = makeConfig({ method: 'umt', preset: 'tiny', width: 0.0625, audioHeight: 8, audioWidth: 8, visualSize: 8, batch: 2, backend: 'cpu' });
    await expect(TrainingSession.create({ config, dataset, keepCurrentBackend: true })).rejects.toThrow(/--teacher-audio, --teacher-visual/);
  });
});
