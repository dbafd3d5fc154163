/** G-Blending against hand-computed values: the weights from probe losses, a batch's loss, the probe in a session. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../../test/support/testBackend';
import { smallBatch } from '../../../test/support/smallBatch';
import { makeDemoDataset } from '../../data/demo';
import { ConfigError, makeConfig, validateConfig } from '../config';
import type { EvalProgress, StepRecord } from '../events';
import { AUDIO_RGB } from '../modalities';
import { AVModel } from '../model';
import { Rng } from '../random';
import { TrainingSession } from '../session';
import { blendWeights, probeBatches, probeCount } from './gblend';
import { createMethod } from './index';

describe('G-Blending weights', () => {
  it('w = |G| / O^2, normalised: G = L^V_last - L^V_first, O = (L^V - L^T)_last - (L^V - L^T)_first', () => {
    const w = blendWeights({
      // G = -0.2, O = 0.5 - 0.2 = 0.3: 0.2 / 0.09
      audio: { trainFirst: 1, valFirst: 1.2, trainLast: 0.5, valLast: 1 },
      // G = -0.2, O = 0.2 - 0.1 = 0.1: 0.2 / 0.01 = 20
      visual: { trainFirst: 1, valFirst: 1.1, trainLast: 0.7, valLast: 0.9 },
      // G = -0.1, O = 0.7 - 0.2 = 0.5: 0.1 / 0.25 = 0.4
      fused: { trainFirst: 1, valFirst: 1.2, trainLast: 0.4, valLast: 1.1 },
    });
    const raw = [0.2 / 0.09, 20, 0.4];
    const sum = raw[0] + raw[1] + raw[2];
    expect(w.audio).toBeCloseTo(raw[0] / sum, 10);
    expect(w.visual).toBeCloseTo(raw[1] / sum, 10);
    expect(w.fused).toBeCloseTo(raw[2] / sum, 10);
    // A validation loss that rose counts by its size too (|G|).
    const up = blendWeights({
      audio: { trainFirst: 1, valFirst: 1, trainLast: 0.5, valLast: 1.5 }, // G 0.5, O 1: 0.5
      visual: { trainFirst: 1, valFirst: 1, trainLast: 1, valLast: 0.5 }, // G -0.5, O -0.5: 2
      fused: { trainFirst: 1, valFirst: 1, trainLast: 1, valLast: 0.5 }, // 2
    });
    expect([up.audio, up.visual, up.fused].map((x) => Number((x * 9).toFixed(10)))).toEqual([1, 4, 4]);
  });

  it('falls back to 1/3 each when a head did not overfit at all (O = 0) or nothing moved', () => {
    const flat = { trainFirst: 1, valFirst: 1, trainLast: 1, valLast: 1 };
    const moved = { trainFirst: 1, valFirst: 1.2, trainLast: 0.5, valLast: 1 };
    expect(blendWeights({ audio: moved, visual: { trainFirst: 1, valFirst: 1.5, trainLast: 0.5, valLast: 1 }, fused: moved })).toEqual({ audio: 1 / 3, visual: 1 / 3, fused: 1 / 3 });
    expect(blendWeights({ audio: flat, visual: flat, fused: flat })).toEqual({ audio: 1 / 3, visual: 1 / 3, fused: 1 / 3 });
  });

  it('counts the probe’s batches: 3 heads x (S epochs of steps + 2 validation passes)', () => {
    // 10 clips in batches of 4: 4, 4, 2 (3 steps); 5 in batches of 16: 1 pass batch. 3 (2 x 3 + 2) = 24.
    expect(probeBatches(10, 5, 4, 2)).toBe(24);
    // 9 in batches of 4: 4, 4 and one clip skipped (2 steps).
    expect(probeBatches(9, 5, 4, 2)).toBe(3 * (2 * 2 + 2));
  });

  it('counts the probes of a session: before its first epoch and every S epochs', () => {
    expect(probeCount(0, 15, 10)).toBe(2); // epochs 0 and 10
    expect(probeCount(0, 10, 10)).toBe(1);
    expect(probeCount(3, 15, 10)).toBe(2); // resumed at 3 from a checkpoint without weights: 3 and 10
    expect(probeCount(3, 15, 10, true)).toBe(1); // with the checkpoint's weights: 10 only
    expect(probeCount(10, 15, 10, true)).toBe(1);
    expect(probeCount(0, 3, 2)).toBe(2);
    expect(probeCount(5, 5, 2)).toBe(0);
    const method = createMethod(makeConfig({ method: 'gblend', valSplit: 0.1, batch: 4, gblend: { superEpoch: 2 } }));
    // 2 probes x (3 heads x 2 epochs x 3 steps; 3 x 2 passes of 1 batch).
    expect(method.extraWork!(0, 3, { train: 10, val: 5 })).toEqual({ trainBatches: 2 * 18, evalBatches: 2 * 6 });
  });
});

describe('G-Blending method', () => {
  it('needs a validation split, said before training', () => {
    expect(() => validateConfig(makeConfig({ method: 'gblend' }))).toThrow(ConfigError);
    expect(() => validateConfig(makeConfig({ method: 'gblend' }))).toThrow('method gblend measures its loss weights on validation clips held out of the training split; set valSplit (e.g. 0.1)');
    expect(validateConfig(makeConfig({ method: 'gblend', valSplit: 0.1 })).valSplit).toBe(0.1);
  });

  it('refuses a dataset too small to hold any clip out, before training', async () => {
    await useBackend('cpu');
    // One training clip per class: none can be held out.
    const tiny = makeDemoDataset({ numClasses: 2, trainPerClass: 1, testPerClass: 1, audioHeight: 8, audioWidth: 8, frameSize: 8, frames: 1, seed: 3 });
    const config = makeConfig({ method: 'gblend', valSplit: 0.5, preset: 'tiny', width: 0.0625, audioHeight: 8, audioWidth: 8, visualSize: 8, batch: 2, backend: 'cpu' });
    await expect(TrainingSession.create({ config, dataset: tiny, keepCurrentBackend: true })).rejects.toThrow(
      'method gblend: valSplit 0.5 holds out no clips of dataset "demo" (2 training clips; a class needs at least 2 to give one); G-Blending measures its loss weights on held-out clips: raise valSplit or add clips',
    );
  });

  it('refuses a batch before its weights are measured', async () => {
    await useBackend('cpu');
    const model = new AVModel({ numClasses: 3, fusion: 'concat', width: 0.0625, modalities: AUDIO_RGB }, new Rng(1));
    const method = createMethod(makeConfig({ method: 'gblend', valSplit: 0.1 }));
    expect(() => tf.tidy(() => method.batchLoss(model, smallBatch(), new Rng(0), { training: false }).loss)).toThrow(/weights were not measured/);
    model.dispose();
  });

  const dataset = () => makeDemoDataset({ numClasses: 2, trainPerClass: 6, testPerClass: 2, audioHeight: 8, audioWidth: 8, frameSize: 8, frames: 1, seed: 3 });
  const config = makeConfig({
    method: 'gblend', gblend: { superEpoch: 2 }, valSplit: 0.34, epochs: 3, preset: 'tiny', width: 0.0625,
    audioHeight: 8, audioWidth: 8, visualSize: 8, batch: 4, backend: 'cpu', augment: false, featuresEvery: 0,
  });

  async function train(pauseAt?: number): Promise<{ steps: StepRecord[]; probes: EvalProgress[]; losses: number[]; weights: Map<string, Float32Array> }> {
    const steps: StepRecord[] = [];
    const probes: EvalProgress[] = [];
    let paused = false;
    const session = await TrainingSession.create({ config, dataset: dataset(), keepCurrentBackend: true, checkpointEveryEpoch: false, onStep: (r) => steps.push(r) });
    session.on((e) => {
      if (e.type === 'evaluating' && e.progress.phase === 'blend') {
        probes.push(e.progress);
        if (pauseAt !== undefined && e.progress.batch === pauseAt && !paused) {
          paused = true;
          session.pause();
        }
      }
    });
    await session.run();
    if (pauseAt !== undefined) {
      expect(session.state, 'paused in the middle of the probe').toBe('paused');
      expect(steps, 'no step before the probe is complete').toHaveLength(0);
      await session.resume();
    }
    expect(session.state).toBe('done');
    const { weights } = await session.weights();
    const losses = session.metrics.map((m) => m.loss);
    session.dispose();
    return { steps, probes, losses, weights };
  }

  it('probes before epochs 1 and 3 (superEpoch 2), trains with the weights it measured, and a pause inside the probe changes nothing', async () => {
    await useBackend('cpu');
    const run = await train();
    // 12 training clips, 4 held out (2 per class of 6: round(0.34 * 6)), 8 trained on in batches of 4: 2 steps.
    const total = probeBatches(8, 4, 4, 2);
    expect(total).toBe(3 * (2 * 2 + 2));
    const starts = run.probes.filter((p) => p.batch === 0).map((p) => p.epoch);
    expect(starts).toEqual([1, 3]);
    for (const e of [1, 3]) expect(run.probes.filter((p) => p.epoch === e).map((p) => p.batch)).toEqual(Array.from({ length: total + 1 }, (_, i) => i));
    // The trace's weights: one triple per probe, summing to 1, the same on every step until the next probe.
    const byEpoch = (e: number) => run.steps.filter((s) => s.epoch === e).map((s) => s.blend!);
    for (const e of [1, 2, 3]) expect(byEpoch(e)).toHaveLength(2);
    const [w1, w3] = [byEpoch(1)[0], byEpoch(3)[0]];
    for (const w of [w1, w3]) expect(w.audio + w.visual + w.fused).toBeCloseTo(1, 12);
    expect(byEpoch(2)).toEqual([w1, w1]);
    expect(w3).not.toEqual(w1);
    // The trace's indices are positions in the training split: the 4 held-out clips never appear.
    const seen = new Set(run.steps.flatMap((s) => s.indices));
    expect(seen.size).toBe(8);
    expect(Math.max(...seen)).toBeLessThan(12);

    const paused = await train(5);
    expect(paused.steps).toEqual(run.steps);
    expect(paused.losses).toEqual(run.losses);
    for (const [name, v] of run.weights) expect(paused.weights.get(name), name).toEqual(v);
  }, 120_000);
});
