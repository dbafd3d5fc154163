import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { makeDemoDataset } from '../data/demo';
import { checkpointFromJson, checkpointToJson } from './checkpoint';
import { ConfigError, makeConfig, type TrainConfig } from './config';
import type { Dataset } from './dataset';
import type { SessionEvent, StepRecord } from './events';
import { METHOD_FACTORIES } from './methods';
import { TrainingSession } from './session';
import { useBackend } from '../../test/support/testBackend';

const SIZES = { audioHeight: 16, audioWidth: 16, visualSize: 16 };

function tinyConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return makeConfig({ preset: 'tiny', width: 0.0625, batch: 4, epochs: 3, featuresEvery: 1, featuresMax: 8, ...SIZES, ...overrides });
}

function tinyDataset(seed = 0): Dataset {
  return makeDemoDataset({ numClasses: 3, trainPerClass: 4, testPerClass: 2, audioHeight: 16, audioWidth: 16, frameSize: 16, frames: 2, seed });
}

async function session(config: TrainConfig, dataset = tinyDataset()): Promise<{ s: TrainingSession; events: SessionEvent[] }> {
  await useBackend('wasm');
  const s = await TrainingSession.create({ config, dataset, keepCurrentBackend: true });
  const events: SessionEvent[] = [];
  s.on((e) => events.push(e));
  return { s, events };
}

const batchLosses = (events: SessionEvent[]) => events.flatMap((e) => (e.type === 'batch' ? [e.progress.loss] : []));

describe('TrainingSession', () => {
  it('same seed gives identical losses for three steps; another seed differs', async () => {
    const runs: number[][] = [];
    for (const seed of [1, 1, 2]) {
      const { s, events } = await session(tinyConfig({ seed, epochs: 1, method: 'mm' }));
      await s.runEpoch();
      runs.push(batchLosses(events).slice(0, 3));
      s.dispose();
    }
    expect(runs[0]).toHaveLength(3);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).not.toEqual(runs[0]);
  });

  it('emits batch, epoch, features and done events with the section 4 report', async () => {
    const { s, events } = await session(tinyConfig({ method: 'bmm', bmm: { ...tinyConfig().bmm, warmup: 1 }, epochs: 2 }));
    await s.run();
    expect(s.state).toBe('done');
    const epochs = events.flatMap((e) => (e.type === 'epoch' ? [e.metrics] : []));
    expect(epochs.map((m) => m.epoch)).toEqual([1, 2]);
    const m = epochs[1];
    for (const v of [m.loss, m.trainAcc, m.testAcc, m.audio.trainAcc, m.audio.testAcc, m.visual.trainAcc, m.visual.testAcc, m.rho, m.samplesPerSec, m.seconds]) expect(Number.isFinite(v)).toBe(true);
    // Epoch 1 is warm-up (m = 0); epoch 2 mixes with m = tanh(r - 1) from epoch 1's rho.
    expect(epochs[0].mix).toBe(0);
    expect(epochs[1].mix).toBeCloseTo(Math.tanh(Math.max(epochs[0].rho, 1 / epochs[0].rho) - 1), 6);
    expect(m.confusion.fused.flat().reduce((a, b) => a + b, 0)).toBe(6); // every test clip counted once
    const feats = events.flatMap((e) => (e.type === 'features' ? [e.features] : []));
    expect(feats).toHaveLength(2);
    expect(feats[0].labels.length).toBe(8);
    expect(feats[0].audio.length).toBe(8 * feats[0].dims.audio);
    expect(feats[0].fused.length).toBe(8 * feats[0].dims.fused);
    expect(Array.from(feats[0].split).filter((x) => x === 1).length).toBe(4);
    const done = events.find((e) => e.type === 'done');
    expect(done && done.type === 'done' && done.summary.epochs).toBe(2);
    s.dispose();
  });

  it('reports every evaluation batch (BN statistics, training set, test set) and how long the passes took', async () => {
    // 12 training clips in batches of 4 (3 steps); evaluation batches of 16: BN statistics over 3 batches of 4,
    // then 1 batch of the training set and 1 of the test set.
    const { s, events } = await session(tinyConfig({ epochs: 1 }));
    await s.run();
    const evals = events.flatMap((e) => (e.type === 'evaluating' ? [e.progress] : []));
    expect(evals.map((e) => `${e.phase}${e.batch}`)).toEqual(['bn0', 'bn1', 'bn2', 'bn3', 'train3', 'train4', 'test4', 'test5']);
    expect(new Set(evals.map((e) => e.batches))).toEqual(new Set([5]));
    expect(s.epochWork()).toEqual({ trainBatches: 3, evalBatches: 5 });
    const m = events.flatMap((e) => (e.type === 'epoch' ? [e.metrics] : []))[0];
    expect(m.work).toEqual({ trainBatches: 3, evalBatches: 5 });
    expect(m.evalSeconds!).toBeGreaterThan(0);
    expect(m.evalSeconds!).toBeLessThan(m.seconds);
    // The order of events: the last batch, the evaluation, then the epoch.
    const kinds = events.map((e) => e.type).filter((t, i, all) => t !== all[i - 1]);
    expect(kinds.slice(0, 3)).toEqual(['batch', 'evaluating', 'epoch']);
    s.dispose();
    // Running statistics: no BN phase.
    const running = await session(tinyConfig({ epochs: 1, bnStats: 'running' }));
    await running.s.run();
    expect(running.events.flatMap((e) => (e.type === 'evaluating' ? [e.progress.phase] : []))).toEqual(['train', 'train', 'test', 'test']);
    running.s.dispose();
  });

  it('a validation split: trains on the rest, evaluates the held-out clips each epoch, and picks best by them', async () => {
    // 12 training clips, 4 per class; valSplit 0.25 holds out 1 per class: 9 left, 2 steps of 4 (the last 1 dropped).
    const { s, events } = await session(tinyConfig({ epochs: 2, valSplit: 0.25 }));
    expect(s.epochWork().trainBatches).toBe(2);
    await s.run();
    const phases = events.flatMap((e) => (e.type === 'evaluating' && e.progress.epoch === 1 ? [e.progress.phase] : []));
    expect(phases.filter((p, i) => p !== phases[i - 1])).toEqual(['bn', 'train', 'val', 'test']);
    const epochs = events.flatMap((e) => (e.type === 'epoch' ? [e.metrics] : []));
    for (const m of epochs) for (const v of Object.values(m.val!)) expect([0, 1 / 3, 2 / 3, 1].some((x) => Math.abs(v - x) < 1e-6)).toBe(true);
    expect(s.summary(false).results?.rule).toBe('validation');
    // Every training batch drew its clips from the 9 training clips only.
    const counts = events.flatMap((e) => (e.type === 'batch' ? [e.progress.batch] : []));
    expect(counts).toEqual([1, 2, 1, 2]);
    s.dispose();
  });

  it('estimate() times a step without changing the model, and adds up an epoch from it', async () => {
    const { s } = await session(tinyConfig({ epochs: 4 }));
    const before = await s.weights();
    const e = await s.estimate();
    const after = await s.weights();
    for (const [name, values] of before.weights) expect(Array.from(after.weights.get(name)!), name).toEqual(Array.from(values));
    expect(e.trainBatchSeconds).toBeGreaterThan(0);
    expect(e.evalBatchSeconds).toBeGreaterThan(0);
    expect(e.work).toEqual({ trainBatches: 3, evalBatches: 5 });
    expect(e.epochSeconds).toBeCloseTo(3 * e.trainBatchSeconds + 5 * e.evalBatchSeconds, 9);
    expect(e.runSeconds).toBeCloseTo(4 * e.epochSeconds, 9);
    // Training afterwards is the run it would have been without the estimate.
    const fresh = await session(tinyConfig({ epochs: 1 }));
    const a: number[] = [];
    const b: number[] = [];
    s.on((ev) => ev.type === 'batch' && a.push(ev.progress.loss));
    fresh.s.on((ev) => ev.type === 'batch' && b.push(ev.progress.loss));
    await s.runEpoch();
    await fresh.s.runEpoch();
    expect(a).toEqual(b);
    s.dispose();
    fresh.s.dispose();
  });

  it('holds the same number of tensors after epoch 1 and epoch 3 (no leak), for every method', async () => {
    for (const method of ['erm', 'mm', 'bmm', 'ogm-ge'] as const) {
      const { s } = await session(tinyConfig({ method, bmm: { ...tinyConfig().bmm, warmup: 0 } }));
      await s.runEpoch();
      const after1 = tf.memory().numTensors;
      await s.runEpoch();
      await s.runEpoch();
      expect(tf.memory().numTensors, method).toBe(after1);
      s.dispose();
    }
  });

  it('pause and resume continue the same run: identical to an uninterrupted one', async () => {
    const straight = await session(tinyConfig({ epochs: 2 }));
    await straight.s.run();
    const ref = batchLosses(straight.events);
    straight.s.dispose();

    const { s, events } = await session(tinyConfig({ epochs: 2 }));
    let paused = false;
    s.on((e) => {
      if (e.type === 'batch' && e.progress.epoch === 1 && e.progress.batch === 2 && !paused) {
        paused = true;
        s.pause();
      }
    });
    await s.run();
    expect(s.state).toBe('paused');
    expect(batchLosses(events)).toHaveLength(2);
    await s.resume();
    expect(s.state).toBe('done');
    expect(batchLosses(events)).toEqual(ref);
    s.dispose();
  });

  it('a checkpoint restores weights, optimiser, RNG and metrics: the continuation equals the original run', async () => {
    const original = await session(tinyConfig({ epochs: 3, method: 'mm' }));
    await original.s.runEpoch();
    const ckpt = checkpointFromJson(checkpointToJson(await original.s.checkpoint()));
    expect(ckpt.epoch).toBe(1);
    await original.s.runEpoch();
    await original.s.runEpoch();
    const tail = batchLosses(original.events).slice(3);
    const finalOriginal = original.s.metrics.map((m) => m.testAcc);
    original.s.dispose();

    await useBackend('wasm');
    const resumed = await TrainingSession.create({ config: tinyConfig({ epochs: 3, method: 'mm' }), dataset: tinyDataset(), checkpoint: ckpt, keepCurrentBackend: true });
    const events: SessionEvent[] = [];
    resumed.on((e) => events.push(e));
    expect(resumed.epoch).toBe(1);
    await resumed.run();
    expect(batchLosses(events)).toEqual(tail);
    expect(resumed.metrics.map((m) => m.testAcc)).toEqual(finalOriginal);
    resumed.dispose();
  });

  // The methods with state across epochs keep it in the checkpoint: AGM's running means, PMR's prototypes (blended
  // with momentum at each epoch start), G-Blending's weights (superEpoch 2: measured before epochs 1 and 3, not again on resuming at epoch 2).
  for (const [method, extra] of [
    ['agm', {}],
    ['pmr', { pmr: { alpha: 1, momentum: 0.5 } }],
    ['gblend', { valSplit: 0.25, gblend: { superEpoch: 2 } }],
  ] as const) {
    it(`${method}: a resumed run continues the method's own state, step for step as the uninterrupted one`, async () => {
      const config = () => tinyConfig({ epochs: 3, method, ...(extra as Partial<TrainConfig>) });
      const steps: StepRecord[] = [];
      await useBackend('wasm');
      const original = await TrainingSession.create({ config: config(), dataset: tinyDataset(), keepCurrentBackend: true, onStep: (r) => steps.push(r) });
      await original.runEpoch();
      const ckpt = checkpointFromJson(checkpointToJson(await original.checkpoint()));
      expect(ckpt.epoch).toBe(1);
      expect(ckpt.method?.method).toBe(method);
      await original.runEpoch();
      await original.runEpoch();
      original.dispose();
      const tail = steps.filter((r) => r.epoch > 1);
      expect(tail.length).toBeGreaterThan(0);

      const resumedSteps: StepRecord[] = [];
      const resumed = await TrainingSession.create({ config: config(), dataset: tinyDataset(), checkpoint: ckpt, keepCurrentBackend: true, onStep: (r) => resumedSteps.push(r) });
      await resumed.run();
      expect(resumedSteps.map((r) => [r.loss, r.coef, r.blend])).toEqual(tail.map((r) => [r.loss, r.coef, r.blend]));
      resumed.dispose();

      // Without the state (a checkpoint of an earlier version) the same epoch trains otherwise.
      const { method: _dropped, ...older } = ckpt;
      const freshSteps: StepRecord[] = [];
      const fresh = await TrainingSession.create({ config: config(), dataset: tinyDataset(), checkpoint: older, keepCurrentBackend: true, onStep: (r) => freshSteps.push(r) });
      await fresh.run();
      expect(freshSteps.map((r) => [r.loss, r.coef, r.blend])).not.toEqual(tail.map((r) => [r.loss, r.coef, r.blend]));
      fresh.dispose();
    }, 120_000);
  }

  it('a NaN loss stops the run with a clear message and keeps the last good checkpoint', async () => {
    // A method whose loss turns NaN in the second epoch (as a diverging run would).
    const erm = METHOD_FACTORIES.erm;
    let epoch = 0;
    METHOD_FACTORIES.erm = (config) => {
      const inner = erm(config);
      return {
        ...inner,
        beginEpoch: (start) => {
          epoch = start.epoch;
          inner.beginEpoch(start);
        },
        batchLoss: (model, batch, rng, forward) => {
          const r = inner.batchLoss(model, batch, rng, forward);
          return epoch === 1 ? { ...r, loss: tf.mul(r.loss, NaN) as tf.Scalar } : r;
        },
      };
    };
    try {
      const { s, events } = await session(tinyConfig({ epochs: 3, method: 'erm' }));
      await s.runEpoch();
      const good = await s.checkpoint();
      await s.run();
      expect(s.state).toBe('error');
      const err = events.find((e) => e.type === 'error');
      expect(err && err.type === 'error' && err.message).toMatch(/loss became NaN at epoch 2, batch 1.*last completed epoch \(1\)/);
      const kept = await s.checkpoint();
      expect(kept.epoch).toBe(1);
      expect(Array.from(kept.weights['audio_net.conv1.weight'])).toEqual(Array.from(good.weights['audio_net.conv1.weight']));
      // The model itself is back on those weights (what an export would write), although one bad step was applied.
      const now = await s.weights();
      expect(Array.from(now.weights.get('visual_net.layer4.1.conv2.weight')!)).toEqual(Array.from(good.weights['visual_net.layer4.1.conv2.weight']));
      s.dispose();
    } finally {
      METHOD_FACTORIES.erm = erm;
    }
  });

  it('evaluate() reports the current weights without training, consistent with the epoch report', async () => {
    const { s, events } = await session(tinyConfig({ epochs: 1, augment: false }));
    await s.run();
    const m = s.metrics[0];
    const before = events.length;
    const report = await s.evaluate();
    expect(report.fused.testAcc).toBe(m.testAcc);
    expect(report.audio).toEqual(m.audio);
    expect(report.visual).toEqual(m.visual);
    expect(report.rho).toBe(m.rho);
    expect(report.confusion).toEqual(m.confusion);
    const feats = events.slice(before).filter((e) => e.type === 'features');
    expect(feats).toHaveLength(1);
    expect(s.epoch).toBe(1); // nothing trained
    s.dispose();
  });

  it('rejects invalid configs naming the field and the allowed values', async () => {
    await useBackend('wasm');
    const data = tinyDataset();
    const bad: [Partial<TrainConfig>, RegExp][] = [
      [{ method: 'sgd' as TrainConfig['method'] }, /method "sgd" is not known; allowed values: erm, mm, bmm, ogm-ge/],
      [{ fusion: 'attention' as TrainConfig['fusion'] }, /fusion "attention" is not known; allowed values: concat, sum, film, gated, decision/],
      [{ mm: { alpha: 0 } }, /alpha must be a number > 0, got 0/],
      [{ width: 0 }, /width must be a number > 0/],
      [{ batch: 13 }, /batch 13 is larger than the training set \(12 clips\)/],
      [{ epochs: undefined as unknown as number }, /epochs is missing/],
    ];
    for (const [overrides, message] of bad) {
      const config = { ...tinyConfig(), ...overrides };
      await expect(TrainingSession.create({ config, dataset: data, keepCurrentBackend: true })).rejects.toThrow(message);
      await expect(TrainingSession.create({ config, dataset: data, keepCurrentBackend: true })).rejects.toBeInstanceOf(ConfigError);
    }
  });

  it('stop ends the run after the current batch and reports it as stopped early', async () => {
    const { s, events } = await session(tinyConfig({ epochs: 3 }));
    s.on((e) => {
      if (e.type === 'batch' && e.progress.batch === 1) void s.stop();
    });
    await s.run();
    expect(s.state).toBe('stopped');
    expect(batchLosses(events)).toHaveLength(1);
    const done = events.find((e) => e.type === 'done');
    expect(done && done.type === 'done' && done.summary.stoppedEarly).toBe(true);
    s.dispose();
  });
});

describe('unimodal scores in the epoch report', () => {
  it('mean: the training pass measures E[z_a], E[z_v] over the whole training set and scores the heads with them', async () => {
    const { s } = await session(tinyConfig({ epochs: 1, method: 'erm', unimodal: 'mean' }));
    const [m] = [await s.runEpoch()];
    const means = s.avModel.featureMeans!;
    expect(means.audio.shape).toEqual([1, s.avModel.dim]);
    // The same means, computed independently: every training clip through the encoders in eval mode.
    const { BatchBuilder } = await import('./batches');
    const d = s.dataset;
    const builder = new BatchBuilder({ input: { audioHeight: 16, audioWidth: 16, visualSize: 16, frames: 1 }, stored: d, numClasses: 3 });
    const all = Array.from({ length: d.train.size }, (_, i) => i);
    const batch = builder.batch(d.train, all, null);
    const expected = tf.tidy(() => tf.mean(s.avModel.encodeAudio(batch.audio, { training: false }), 0));
    const got = Array.from(await means.audio.data());
    const want = Array.from(await expected.data());
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 4);
    // Scores differ from the zero-masked ones of the same weights.
    expect(Number.isFinite(m!.rho)).toBe(true);
    s.avModel.unimodalScore = 'zero';
    const zero = await s.evaluate();
    expect(zero.rho).not.toBeCloseTo(m!.rho, 6);
    tf.dispose([expected, batch.audio, batch.visual, batch.labels, batch.oneHot]);
    s.dispose();
  });
});
