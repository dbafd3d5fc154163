/** The balancing methods' rules against hand-computed values on small fixed tensors (AGM, MMPareto, PMR) and the unimodal rows. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../../test/support/testBackend';
import { ConfigError, makeConfig, validateConfig, type MethodName } from '../config';
import { AVModel } from '../model';
import { Adam } from '../optimizer';
import { Rng } from '../random';
import { trainStep, variableNameMap } from '../trainStep';
import { agmClip, agmCoefficients, agmScore, headOutputWeights, shapleyResponses } from './agm';
import { createMethod } from './index';
import { minNormWeight, paretoCombine, paretoWeight } from './mmpareto';
import { pmrCoefficients, prototypeLogits } from './pmr';
import { AUDIO_RGB } from '../modalities';
import type { Batch } from './method';
import { smallBatch } from '../../../test/support/smallBatch';


function tinyRun(method: MethodName) {
  const config = makeConfig({ preset: 'tiny', width: 0.0625, method });
  const rng = new Rng(4);
  const model = new AVModel({ numClasses: 3, fusion: config.fusion, width: 0.0625, modalities: AUDIO_RGB }, rng.fork());
  const params = new Map([...model.params.vars].filter(([, v]) => v.trainable));
  const optimizer = new Adam(params, { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
  return { config, rng, model, optimizer, method: createMethod(config), names: variableNameMap(model) };
}

describe('MMPareto', () => {
  it('two-task min-norm weight: g_mm = (1, 0, 0), g_a = (-1, 1, 0) gives c = 3/5', () => {
    // |c g1 + (1 - c) g2|^2 = (2c - 1)^2 + (1 - c)^2, least at c = 0.6; dot products 1, -1, 2.
    expect(minNormWeight(1, -1, 2)).toBeCloseTo(0.6, 12);
    expect(paretoWeight(1, -1, 2)).toBeCloseTo(0.6, 12);
    // Gradients that agree (cosine > 0): equal weights.
    expect(paretoWeight(1, 1, 2)).toBe(0.5);
    // The code's edge cases: <g1, g2> >= |g1|^2 gives 0.999, >= |g2|^2 gives 0.001.
    expect(paretoWeight(0, 0, 4)).toBe(0.999);
    expect(minNormWeight(4, 0, 0)).toBe(0.001);
  });

  it('rescales the combination to at least the plain sum’s norm, times gamma', async () => {
    await useBackend('cpu');
    const g1 = tf.tensor1d([1, 0, 0]);
    const g2 = tf.tensor1d([-1, 1, 0]);
    // 2 (0.6 g1 + 0.4 g2) = (0.4, 0.8, 0), norm sqrt(0.8); |g1 + g2| = 1, so s = 1 / sqrt(0.8); times 1.5.
    const got = Array.from(await paretoCombine(g1, g2, tf.scalar(0.6), 1.5).data());
    const s = 1.5 / Math.sqrt(0.8);
    [0.4 * s, 0.8 * s, 0].forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5));
    // Agreeing gradients: (g1 + g2) * 1.5, no rescaling (s = 1).
    expect(Array.from(await paretoCombine(g1, tf.tensor1d([1, 1, 0]), tf.scalar(0.5), 1.5).data())).toEqual([3, 1.5, 0]);
    // A zero combination stays zero (no division by zero).
    expect(Array.from(await paretoCombine(tf.zeros([2]), tf.zeros([2]), tf.scalar(0.5), 1.5).data())).toEqual([0, 0]);
  });

  it('reports L_mm + L_a + L_v and per-encoder weights in [0.001, 0.999]', async () => {
    await useBackend('cpu');
    const run = tinyRun('mmpareto');
    const batch = smallBatch();
    const ce = (logits: tf.Tensor2D) => tf.neg(tf.mean(tf.sum(tf.mul(batch.oneHot, tf.logSoftmax(logits)), 1)));
    const want = tf.tidy(() => {
      const out = run.model.forward(batch.audio, batch.visual, { training: true, bnUpdates: [] });
      const uni = run.model.unimodal(out.za, out.zv);
      return tf.addN([ce(out.logits), ce(uni.audio), ce(uni.visual)]).dataSync()[0];
    });
    const r = await trainStep(run.model, run.optimizer, run.method, batch, run.rng, run.names);
    expect(r.loss).toBeCloseTo(want, 5);
    expect(r.aux.coefAudio).toBeGreaterThanOrEqual(0.001);
    expect(r.aux.coefAudio).toBeLessThanOrEqual(0.999);
    expect(run.method.stepCoefficients!(r.aux)).toEqual({ audio: r.aux.coefAudio, visual: r.aux.coefVisual });
  });
});

describe('AGM', () => {
  it('Shapley-style responses m_a = (f(a,v) - f(0,v) + f(a,0)) / 2 and m_v likewise', async () => {
    await useBackend('cpu');
    const r = shapleyResponses(tf.tensor2d([[2, 0]]), tf.tensor2d([[1, 1]]), tf.tensor2d([[0, 2]]));
    expect(await r.audio.array()).toEqual([[1.5, -0.5]]);
    expect(await r.visual.array()).toEqual([[0.5, 0.5]]);
  });

  it('scores are -log p of the label, clamped at p = 1e-8', async () => {
    await useBackend('cpu');
    const oneHot = tf.tensor2d([[0, 1]]);
    expect((await agmScore(tf.tensor2d([[0, Math.log(3)]]), oneHot).data())[0]).toBeCloseTo(-Math.log(0.75), 6);
    expect((await agmScore(tf.tensor2d([[0, -100]]), oneHot).data())[0]).toBeCloseTo(-Math.log(1e-8), 4);
  });

  it('k = exp(alpha min(eta - r, 10)): the modality more dominant than on average is slowed down', () => {
    // s_a = 1 (audio dominant), s_v = 2, running means 0: r_a = e, eta_a = 1; k_a = exp(0.1 (1 - e)).
    const k = agmCoefficients({ audio: 1, visual: 2 }, { audio: 0, visual: 0 }, 0.1);
    expect(k.audio).toBeCloseTo(Math.exp(0.1 * (1 - Math.E)), 12);
    expect(k.visual).toBeCloseTo(Math.exp(0.1 * (1 - Math.exp(-1))), 12);
    expect(k.audio).toBeLessThan(1);
    expect(k.visual).toBeGreaterThan(1);
    // The cap: eta_a = e^20 gives exp(0.1 * 10).
    expect(agmCoefficients({ audio: 0, visual: 0 }, { audio: 0, visual: 20 }, 0.1).audio).toBeCloseTo(Math.E, 12);
  });

  it('clips every gradient to norm 5 only when an output-layer gradient leaves [-5, 5]', async () => {
    await useBackend('cpu');
    const head = 'fusion_module.fc_out.weight';
    expect(headOutputWeights('concat')).toEqual([head]);
    expect(headOutputWeights('decision')).toEqual(['fusion_module.head_a.weight', 'fusion_module.head_v.weight']);
    // Norm sqrt(6^2 + 8^2) = 10: everything times 5 / (10 + 1e-6).
    const grads = (h: number) => new Map<string, tf.Tensor>([[head, tf.tensor2d([[h, 0]])], ['audio_net.conv1.weight', tf.tensor1d([8])]]);
    const clipped = agmClip(grads(6), [head]);
    expect((await clipped.get(head)!.data())[0]).toBeCloseTo(3, 5);
    expect((await clipped.get('audio_net.conv1.weight')!.data())[0]).toBeCloseTo(4, 5);
    const kept = agmClip(grads(4), [head]);
    expect((await kept.get('audio_net.conv1.weight')!.data())[0]).toBe(8);
  });

  it('its first step uses running means 0 and its coefficients reach the trace', async () => {
    await useBackend('cpu');
    const run = tinyRun('agm');
    const r = await trainStep(run.model, run.optimizer, run.method, smallBatch(), run.rng, run.names);
    const c = run.method.stepCoefficients!(r.aux)!;
    expect(c.audio).toBeGreaterThan(0);
    expect(Number.isFinite(c.visual)).toBe(true);
    // k_a k_v = exp(alpha (2 - r_a - r_v)) with r_a r_v = 1 at the first step: at most 1, so one of them is <= 1.
    expect(Math.min(c.audio, c.visual)).toBeLessThanOrEqual(1);
  });
});

describe('audio-only and visual-only', () => {
  it('train one encoder and its half of the head; the other encoder is left as it was', async () => {
    await useBackend('cpu');
    for (const [method, trained, untouched] of [
      ['audio-only', 'audio_net.conv1.weight', 'visual_net.conv1.weight'],
      ['visual-only', 'visual_net.conv1.weight', 'audio_net.conv1.weight'],
    ] as const) {
      const run = tinyRun(method);
      const read = async (n: string) => Array.from(await run.model.params.get(n).data());
      const [a0, b0] = [await read(trained), await read(untouched)];
      const batch = smallBatch();
      // The loss is CE(fusion(z_a, 0)) (audio) before the step.
      const want = tf.tidy(() => {
        const opts = { training: true, bnUpdates: [] };
        const logits =
          method === 'audio-only'
            ? run.model.fuse(run.model.encodeAudio(batch.audio, opts), tf.zeros([4, run.model.dim])).logits
            : run.model.fuse(tf.zeros([4, run.model.dim]), run.model.encodeVisual(batch.visual, opts)).logits;
        return tf.neg(tf.mean(tf.sum(tf.mul(batch.oneHot, tf.logSoftmax(logits)), 1))).dataSync()[0];
      });
      const r = await trainStep(run.model, run.optimizer, run.method, batch, run.rng, run.names);
      expect(r.loss).toBeCloseTo(want, 5);
      expect(await read(trained)).not.toEqual(a0);
      expect(await read(untouched)).toEqual(b0);
    }
  });

  it('refuses a unimodal score other than zero, saying what to set', () => {
    const config = makeConfig({ method: 'audio-only', unimodal: 'mean' });
    expect(() => validateConfig(config)).toThrow(ConfigError);
    expect(() => validateConfig(config)).toThrow(/--unimodal zero/);
    expect(validateConfig(makeConfig({ method: 'visual-only' })).method).toBe('visual-only');
  });
});

describe('PMR', () => {
  it('prototype logits are minus the Euclidean distances to the class prototypes', async () => {
    await useBackend('cpu');
    // z = (0, 0) and (3, 4); prototypes (0, 0) and (0, 4): distances 0, 4 and 5, 3.
    const got = await prototypeLogits(tf.tensor2d([[0, 0], [3, 4]]), tf.tensor2d([[0, 0], [0, 4]])).array();
    expect(got.map((r) => r.map((x) => Math.abs(x)))).toEqual([[0, 4], [5, 3]]);
    expect(got[1][0]).toBe(-5);
  });

  it('the weak modality gets clip(rho_p - 1, 0, 1) (or of 1 / rho_p), the strong one 0', () => {
    expect(pmrCoefficients(3, 2)).toEqual({ audio: 0, visual: 0.5 });
    expect(pmrCoefficients(1, 4)).toEqual({ audio: 1, visual: 0 }); // 1 / rho_p - 1 = 3, clipped
    expect(pmrCoefficients(2, 2)).toEqual({ audio: 0, visual: 0 });
  });

  it('prototypes: class means, then (1 - mu) new + mu old; the loss adds alpha lambda CE(sim_v) when audio is stronger', async () => {
    await useBackend('cpu');
    const run = tinyRun('pmr');
    const means = (a: number[][], v: number[][]) => () => ({ audio: tf.tensor2d(a), visual: tf.tensor2d(v) });
    run.method.beginEpoch({ epoch: 0, rho: null, classMeans: means([[1, 1], [0, 0]], [[2, 2], [0, 0]]) });
    run.method.beginEpoch({ epoch: 1, rho: 1, classMeans: means([[3, 5], [0, 0]], [[0, 0], [4, 0]]) });
    // mu = 0.5: P_a = ((2, 3), (0, 0)), P_v = ((1, 1), (2, 0)). One clip of class 0 with z_a = (2, 3), z_v = (1, 1):
    // sim_a = (0, -sqrt(13)), sim_v = (0, -sqrt(2)); scores sigma(sqrt 13), sigma(sqrt 2); rho_p > 1, so beta = 0,
    // lambda = rho_p - 1, L = ln 2 + 0.1 lambda (-ln sigma(sqrt 2)).
    const model = { forward: () => ({ za: tf.tensor2d([[2, 3]]), zv: tf.tensor2d([[1, 1]]), logits: tf.tensor2d([[0, 0]]) }) } as unknown as AVModel;
    const batch = { audio: tf.zeros([1, 1, 1, 1]), visual: tf.zeros([1, 1, 1, 1, 1]), labels: tf.tensor1d([0], 'int32'), oneHot: tf.tensor2d([[1, 0]]) } as Batch;
    const r = run.method.batchLoss(model, batch, run.rng, { training: true });
    const sigma = (x: number) => 1 / (1 + Math.exp(-x));
    const lambda = sigma(Math.sqrt(13)) / sigma(Math.sqrt(2)) - 1;
    expect((await r.aux!.coefAudio.data())[0]).toBe(0);
    expect((await r.aux!.coefVisual.data())[0]).toBeCloseTo(lambda, 5);
    expect((await r.loss.data())[0]).toBeCloseTo(Math.log(2) + 0.1 * lambda * -Math.log(sigma(Math.sqrt(2))), 5);
  });
});
