import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../config';
import { AVModel } from '../model';
import { Rng } from '../random';
import { useBackend } from '../../../test/support/testBackend';
import { trainStep, variableNameMap } from '../trainStep';
import { Adam } from '../optimizer';
import { balancePlan, createBmm, mixWeakInputs, plannedRho, rampFactor } from './bmm';
import { mixFeatures } from './mm';
import { createOgmGe, isEncoderConvKernel, ogmCoefficients } from './ogm-ge';
import { AUDIO_RGB } from '../modalities';
import { smallBatch } from '../../../test/support/smallBatch';


describe('MM: feature and target mixing', () => {
  it('z~ = lambda z + (1 - lambda) z[p] and y~ likewise', async () => {
    await useBackend('cpu');
    const za = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const zv = tf.tensor2d([[10], [20], [30]]);
    const oneHot = tf.tensor2d([[1, 0], [0, 1], [1, 0]]);
    const perm = new Int32Array([2, 0, 1]);
    const m = mixFeatures(za, zv, oneHot, 0.25, perm);
    // row 0: 0.25 * [1, 2] + 0.75 * [5, 6] = [4, 5]; row 1: 0.25 * [3, 4] + 0.75 * [1, 2] = [1.5, 2.5]
    expect(await m.za.array()).toEqual([[4, 5], [1.5, 2.5], [3.5, 4.5]]);
    expect(await m.zv.array()).toEqual([[25], [12.5], [22.5]]);
    // y[0] = [1, 0] with y[2] = [1, 0]; y[1] = [0, 1] with y[0]; y[2] = [1, 0] with y[1] = [0, 1].
    expect(await m.targets.array()).toEqual([[1, 0], [0.75, 0.25], [0.25, 0.75]]);
  });
});

describe('B-MM', () => {
  // The paper's rule, unbounded (the lab's default bounds m at 0.5: 'bounds m by maxM' below).
  const options = { ...makeConfig({ method: 'bmm' }).bmm, maxM: 1 };

  it('m = tanh(beta (r - 1)) on the weak side, switching sides when rho crosses 1', () => {
    const audioStrong = balancePlan(2, 5, options);
    expect(audioStrong.weak).toBe('visual');
    expect(audioStrong.m).toBeCloseTo(Math.tanh(1), 12);
    const visualStrong = balancePlan(0.5, 5, options);
    expect(visualStrong.weak).toBe('audio');
    expect(visualStrong.m).toBeCloseTo(Math.tanh(1), 12); // r = max(0.5, 2) = 2
    expect(balancePlan(1, 5, options).m).toBe(0);
    expect(balancePlan(1.5, 5, { ...options, beta: 2 }).m).toBeCloseTo(Math.tanh(1), 12);
    expect(balancePlan(1.5, 5, { ...options, coef: 'tanh(beta*r)' }).m).toBeCloseTo(Math.tanh(1.5), 12);
  });

  it('does nothing during warm-up or before rho is known', () => {
    expect(balancePlan(3, 4, options)).toEqual({ weak: null, m: 0 });
    expect(balancePlan(null, 9, options)).toEqual({ weak: null, m: 0 });
  });

  it('mixes only the weak input, leaving the strong one bit-identical, with targets following the weak mix', async () => {
    await useBackend('cpu');
    const batch = smallBatch();
    const perm = new Int32Array([1, 2, 3, 0]);
    const m = 0.3;
    const mixed = mixWeakInputs(batch, 'visual', m, perm, 'weak');
    expect(mixed.audio).toBe(batch.audio);
    expect(Array.from(await mixed.audio.data())).toEqual(Array.from(await batch.audio.data()));
    const v = (await batch.visual.data()) as Float32Array;
    const got = (await mixed.visual.data()) as Float32Array;
    const per = 8 * 8 * 3;
    for (const i of [0, 100, 191]) expect(got[i]).toBeCloseTo((1 - m) * v[i] + m * v[per + i], 6); // row 0 mixed with row 1
    expect(await mixed.targets.array()).toEqual([
      [0.7, 0.3, 0],
      [0, 0.7, 0.3],
      [0, 0.3, 0.7],
      [0.3, 0.7, 0],
    ].map((r) => r.map((x) => Math.fround(x))));
    const audioSide = mixWeakInputs(batch, 'audio', m, perm, 'original');
    expect(audioSide.visual).toBe(batch.visual);
    expect(audioSide.targets).toBe(batch.oneHot);
  });

  it('a B-MM epoch in warm-up trains exactly like ERM (same losses)', async () => {
    await useBackend('wasm');
    const losses: number[][] = [];
    for (const method of ['erm', 'bmm'] as const) {
      const config = makeConfig({ preset: 'tiny', method, width: 0.0625 });
      const rng = new Rng(9);
      const model = new AVModel({ numClasses: 3, fusion: 'concat', width: 0.0625, modalities: AUDIO_RGB }, rng.fork());
      const params = new Map([...model.params.vars].filter(([, v]) => v.trainable));
      const opt = new Adam(params, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4 });
      const m = method === 'bmm' ? createBmm(config) : (await import('./erm')).createErm();
      m.beginEpoch({ epoch: 0, rho: 3 }); // warm-up: epoch 0 < 5
      const names = variableNameMap(model);
      const out: number[] = [];
      for (let i = 0; i < 2; i++) out.push((await trainStep(model, opt, m, smallBatch(), rng, names)).loss);
      losses.push(out);
      model.dispose();
      opt.dispose();
    }
    expect(losses[1]).toEqual(losses[0]);
  });
});

describe('B-MM remedies', () => {
  const options = { ...makeConfig().bmm, maxM: 1 };

  it('bounds m by maxM', () => {
    // r = 3: tanh(2) = 0.964 without a bound.
    expect(balancePlan(3, 5, options).m).toBeCloseTo(Math.tanh(2), 12);
    expect(balancePlan(3, 5, { ...options, maxM: 0.5 })).toEqual({ weak: 'visual', m: 0.5 });
    expect(balancePlan(1.2, 5, { ...options, maxM: 0.5 }).m).toBeCloseTo(Math.tanh(0.2), 12);
    expect(makeConfig().bmm.maxM).toBe(0.5);
  });

  it('smooths log rho over epochs', () => {
    expect(plannedRho([2, 0.5], 0)).toBe(0.5);
    // s = 0.5: exp(0.5 log 2 + 0.5 log 0.5) = 1.
    expect(plannedRho([2, 0.5], 0.5)).toBeCloseTo(1, 12);
    // exp(0.75 (0.75 log 4 + 0.25 log 2) + 0.25 log 1) = 4^0.5625 * 2^0.1875.
    expect(plannedRho([4, 2, 1], 0.75)).toBeCloseTo(4 ** 0.5625 * 2 ** 0.1875, 12);
    expect(plannedRho([Infinity, 0, 2], 0.5)).toBe(2);
    expect(plannedRho([], 0.5)).toBeNull();
  });

  it('ramps m in over `ramp` epochs of steps after the warm-up', () => {
    const o = { warmup: 2, ramp: 2 };
    // 4 steps an epoch: the t-th balanced step (from 1) gets t / 8.
    expect(rampFactor(2, 0, 4, o)).toBe(1 / 8);
    expect(rampFactor(2, 3, 4, o)).toBe(4 / 8);
    expect(rampFactor(3, 3, 4, o)).toBe(1);
    expect(rampFactor(5, 0, 4, o)).toBe(1);
    expect(rampFactor(2, 0, 4, { warmup: 2, ramp: 0 })).toBe(1);
  });

  it('a batch mixes with m times the ramp factor, times lambda when m is sampled', async () => {
    await useBackend('cpu');
    const model = new AVModel({ numClasses: 3, fusion: 'concat', width: 0.0625, modalities: AUDIO_RGB }, new Rng(2));
    const ms = (sample: 'fixed' | 'beta') => {
      const config = makeConfig({ bmm: { warmup: 1, ramp: 1, sample, maxM: 1 } });
      const bmm = createBmm(config);
      bmm.beginEpoch({ epoch: 1, rho: 2, rhoHistory: [2], steps: 4 });
      const rng = new Rng(7);
      const out: { m?: number | null; lambda?: number | null }[] = [];
      for (let i = 0; i < 2; i++) tf.tidy(() => void out.push(bmm.batchLoss(model, smallBatch(), rng, { training: true, bnUpdates: [] }).mixing ?? {}));
      return out;
    };
    const m = Math.tanh(1);
    const fixed = ms('fixed');
    expect(fixed[0].m).toBeCloseTo(m / 4, 12);
    expect(fixed[1].m).toBeCloseTo((2 * m) / 4, 12);
    const sampled = ms('beta');
    // The same stream: lambda first (a Beta draw), then the permutation.
    const rng = new Rng(7);
    const lambda0 = rng.beta(0.5, 0.5);
    expect(sampled[0].lambda).toBe(lambda0);
    expect(sampled[0].m).toBeCloseTo((m / 4) * lambda0, 12);
    expect(sampled[1].m).toBeCloseTo(((2 * m) / 4) * (sampled[1].lambda as number), 12);
    model.dispose();
  });

  it('plans from the smoothed rho when asked, so a flip of rho across 1 does not flip the weak modality', async () => {
    await useBackend('cpu');
    const model = new AVModel({ numClasses: 3, fusion: 'concat', width: 0.0625, modalities: AUDIO_RGB }, new Rng(2));
    const weakOf = (rhoSmoothing: number) => {
      const m = createBmm(makeConfig({ bmm: { warmup: 1, rhoSmoothing } }));
      m.beginEpoch({ epoch: 2, rho: 0.8, rhoHistory: [2, 2, 0.8] });
      let weak: string | null | undefined;
      tf.tidy(() => {
        weak = m.batchLoss(model, smallBatch(), new Rng(3), { training: true, bnUpdates: [] }).mixing?.weak;
      });
      return weak;
    };
    expect(weakOf(0)).toBe('audio');
    expect(weakOf(0.8)).toBe('visual');
    model.dispose();
  });
});

describe('OGM-GE', () => {
  it('coefficients: the stronger modality gets 1 - tanh(alpha * ratio), the other 1', () => {
    // s_a = 3, s_v = 1: ratio_a = 3 -> k_a = 1 - tanh(0.8 * 3).
    expect(ogmCoefficients(3, 1, 0.8)).toEqual({ audio: 1 - Math.tanh(2.4), visual: 1 });
    expect(ogmCoefficients(1, 2, 0.5)).toEqual({ audio: 1, visual: 1 - Math.tanh(1) });
    expect(ogmCoefficients(1, 1, 0.5)).toEqual({ audio: 1, visual: 1 });
  });

  it('scales only the strong encoder conv-kernel gradients by its coefficient (OGM mode, no noise)', async () => {
    await useBackend('cpu');
    const config = makeConfig({ method: 'ogm-ge', ogm: { alpha: 0.8, mode: 'ogm', start: 0, end: 50 } });
    const method = createOgmGe(config);
    method.beginEpoch({ epoch: 0, rho: null });
    const grads = new Map<string, tf.Tensor>([
      ['audio_net.conv1.weight', tf.ones([3, 3, 1, 2])],
      ['audio_net.bn1.weight', tf.ones([2])],
      ['visual_net.conv1.weight', tf.ones([3, 3, 3, 2])],
      ['fusion_module.fc_out.weight', tf.ones([4, 3])],
    ]);
    const k = 1 - Math.tanh(0.8 * 3);
    const out = method.modulateGradients!(grads, { coefAudio: tf.scalar(k), coefVisual: tf.scalar(1) }, new Rng(0));
    expect((await out.get('audio_net.conv1.weight')!.data())[0]).toBeCloseTo(k, 6);
    expect((await out.get('audio_net.bn1.weight')!.data())[0]).toBe(1);
    expect((await out.get('visual_net.conv1.weight')!.data())[0]).toBe(1);
    expect((await out.get('fusion_module.fc_out.weight')!.data())[0]).toBe(1);
    expect(isEncoderConvKernel('audio_net.layer1.0.conv1.weight', [3, 3, 4, 4], 'audio_net')).toBe(true);
    expect(isEncoderConvKernel('audio_net.layer1.0.bn1.weight', [4], 'audio_net')).toBe(false);
  });

  it('OGM-GE adds Gaussian noise with the gradient std only to the strong encoder', async () => {
    await useBackend('cpu');
    const method = createOgmGe(makeConfig({ method: 'ogm-ge' }));
    method.beginEpoch({ epoch: 0, rho: null });
    const g = tf.tensor4d(Array.from({ length: 4000 }, (_, i) => (i % 2 ? 1 : -1)), [10, 10, 4, 10]); // std ~1
    const out = method.modulateGradients!(new Map([['visual_net.conv1.weight', g], ['audio_net.conv1.weight', g]]), { coefAudio: tf.scalar(1), coefVisual: tf.scalar(0.5) }, new Rng(1));
    const v = (await out.get('visual_net.conv1.weight')!.data()) as Float32Array;
    const residual = Array.from(v).map((x, i) => x - 0.5 * (i % 2 ? 1 : -1));
    const mean = residual.reduce((a, b) => a + b, 0) / residual.length;
    const sd = Math.sqrt(residual.reduce((a, b) => a + (b - mean) ** 2, 0) / residual.length);
    expect(Math.abs(mean)).toBeLessThan(0.06);
    expect(sd).toBeGreaterThan(0.9);
    expect(sd).toBeLessThan(1.1);
    expect(Array.from(await out.get('audio_net.conv1.weight')!.data())).toEqual(Array.from(await g.data()));
  });

  it('is inactive outside its modulation window', async () => {
    await useBackend('cpu');
    const method = createOgmGe(makeConfig({ method: 'ogm-ge', ogm: { alpha: 0.8, mode: 'ogm-ge', start: 2, end: 3 } }));
    method.beginEpoch({ epoch: 4, rho: null });
    const grads = new Map<string, tf.Tensor>([['audio_net.conv1.weight', tf.ones([1, 1, 1, 1])]]);
    expect(method.modulateGradients!(grads, {}, new Rng(0))).toBe(grads);
  });
});

describe('permuteRows', () => {
  it('has the gradient of a gather (inverse permutation of dy) on wasm, as cpu computes it', async () => {
    const { permuteRows } = await import('./method');
    const grads: number[][] = [];
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      const up = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(permuteRows(x, new Int32Array([2, 0, 1])), up)))(tf.zeros([3, 2]));
      grads.push(Array.from(await g.data()));
    }
    // y[0] = x[2], y[1] = x[0], y[2] = x[1]: dx[2] = up[0], dx[0] = up[1], dx[1] = up[2].
    expect(grads[0]).toEqual([3, 4, 5, 6, 1, 2]);
    expect(grads[1]).toEqual(grads[0]);
  });
});
