import { describe, expect, it } from 'vitest';
import { makeConfig, type BmmOptions } from '../core/config';
import { balancePlan, plannedRho } from '../core/methods/bmm';
import { Rng } from '../core/random';
import { TrainingSession } from '../core/session';
import type { EpochMetrics, StepRecord } from '../core/events';
import { makeDemoDataset } from '../data/demo';
import { useBackend } from '../../test/support/testBackend';
import {
  BatchCurveCache,
  batchCurve,
  batchSeries,
  batchX,
  compactBatches,
  downsample,
  emaSmooth,
  epochSeries,
  mixedModalities,
  toBatchPoint,
  warmupSpan,
  type BatchPoint,
} from './chartData';

const xy = (ys: number[]) => ys.map((y, i) => ({ x: i + 1, y }));

describe('batchX', () => {
  it('puts batch b of B in epoch e at e - 1 + b / B', () => {
    expect(batchX(1, 1, 4)).toBe(0.25);
    expect(batchX(3, 4, 4)).toBe(3);
    expect(toBatchPoint({ epoch: 2, batch: 1, batches: 2, loss: 1, acc: 0.5, mix: null, samplesPerSec: 9 }).x).toBe(1.5);
  });
});

describe('emaSmooth', () => {
  it('matches debiased EMA computed by hand', () => {
    // w = 0.5: s1 = 0.5*2 = 1 -> 1/(1-0.5) = 2; s2 = 0.5*1 + 0.5*4 = 2.5 -> 2.5/(1-0.25) = 3.3333;
    // s3 = 0.5*2.5 + 0.5*0 = 1.25 -> 1.25/(1-0.125) = 1.428571
    const out = emaSmooth(xy([2, 4, 0]), 0.5);
    expect(out.map((p) => p.x)).toEqual([1, 2, 3]);
    expect(out[0].y).toBeCloseTo(2, 10);
    expect(out[1].y).toBeCloseTo(10 / 3, 10);
    expect(out[2].y).toBeCloseTo(1.25 / 0.875, 10);
  });

  it('returns the input for weight 0 and keeps a constant series constant', () => {
    expect(emaSmooth(xy([1, 5, 2]), 0)).toEqual(xy([1, 5, 2]));
    for (const p of emaSmooth(xy([3, 3, 3, 3]), 0.9)) expect(p.y).toBeCloseTo(3, 10);
  });
});

describe('downsample', () => {
  it('returns small inputs unchanged', () => {
    const pts = xy([1, 2, 3]);
    expect(downsample(pts, 2, 5)).toEqual(pts);
  });

  it('keeps the last points exactly and averages older ones in buckets', () => {
    // 10 points, keep last 2; 8 older into at most 3 buckets -> size ceil(8/3) = 3: [1,2,3], [4,5,6], [7,8]
    const pts = xy([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    const out = downsample(pts, 2, 3);
    expect(out).toEqual([
      { x: 2, y: 20 },
      { x: 5, y: 50 },
      { x: 7.5, y: 75 },
      { x: 9, y: 90 },
      { x: 10, y: 100 },
    ]);
  });

  it('bounds the size of a long series', () => {
    const pts = xy(Array.from({ length: 100_000 }, (_, i) => i % 7));
    const out = downsample(pts, 600, 600);
    expect(out.length).toBeLessThanOrEqual(1200);
    expect(out[out.length - 1]).toEqual(pts[pts.length - 1]);
  });
});

describe('series helpers', () => {
  const points: BatchPoint[] = [
    { x: 0.5, loss: 2, acc: 0.1, mix: null },
    { x: 1, loss: Number.NaN, acc: 0.2, mix: 0.3 },
  ];
  it('drops missing and non-finite values', () => {
    expect(batchSeries(points, 'loss')).toEqual([{ x: 0.5, y: 2 }]);
    expect(batchSeries(points, 'mix')).toEqual([{ x: 1, y: 0.3 }]);
    const epochs = [{ epoch: 1, mix: null }, { epoch: 2, mix: 0.4 }] as unknown as EpochMetrics[];
    expect(epochSeries(epochs, (m) => m.mix)).toEqual([{ x: 2, y: 0.4 }]);
  });

  it('batchCurve smooths then downsamples', () => {
    expect(batchCurve(points, 'acc', 0)).toEqual([
      { x: 0.5, y: 0.1 },
      { x: 1, y: 0.2 },
    ]);
  });

  it('BatchCurveCache gives batchCurve of an array that grows in place, and starts over when it must', () => {
    const cache = new BatchCurveCache();
    const live: BatchPoint[] = [];
    for (let i = 0; i < 1500; i++) {
      live.push({ x: i / 10, loss: Math.sin(i) + 2, acc: i % 7 === 0 ? Number.NaN : (i % 10) / 10, mix: i % 3 === 0 ? null : i / 1500 });
      if (i % 97 === 0 || i === 1499) {
        for (const key of ['loss', 'acc', 'mix'] as const) {
          for (const w of [0, 0.6]) expect(cache.curve(live, key, w)).toEqual(batchCurve(live, key, w));
        }
      }
    }
    const shorter = live.slice(0, 10);
    expect(cache.curve(shorter, 'loss', 0.6)).toEqual(batchCurve(shorter, 'loss', 0.6));
    live.length = 20;
    expect(cache.curve(live, 'loss', 0.3)).toEqual(batchCurve(live, 'loss', 0.3));
  });

  it('compactBatches averages consecutive points, ignoring null mix', () => {
    const many: BatchPoint[] = [
      { x: 1, loss: 1, acc: 0, mix: null },
      { x: 2, loss: 3, acc: 1, mix: 0.5 },
      { x: 3, loss: 5, acc: 1, mix: null },
      { x: 4, loss: 7, acc: 0, mix: null },
    ];
    expect(compactBatches(many, 2)).toEqual([
      { x: 1.5, loss: 2, acc: 0.5, mix: 0.5 },
      { x: 3.5, loss: 6, acc: 0.5, mix: null },
    ]);
    expect(compactBatches(many, 10)).toEqual(many);
  });
});

describe('mixedModalities', () => {
  const options = (warmup: number, rhoSmoothing: number): BmmOptions => ({ ...makeConfig().bmm, warmup, rhoSmoothing });
  const epochs = (rhos: number[], mix = 0.3) => rhos.map((rho, i) => ({ epoch: i + 1, rho, mix }));

  it('none in the warm-up; then visual while rho > 1 (audio strong), audio while rho < 1, from the epoch before', () => {
    const config = { method: 'bmm', bmm: options(2, 0) };
    expect(mixedModalities(config, epochs([2, 1.8, 1.5, 0.8, 0.9]))).toEqual([null, null, 'visual', 'visual', 'audio']);
    expect(mixedModalities({ method: 'erm', bmm: options(0, 0) }, epochs([2, 2]))).toEqual([null, null]);
    // An epoch that reports m = 0 (or none) mixed nothing.
    expect(mixedModalities({ method: 'bmm', bmm: options(0, 0) }, [{ epoch: 1, rho: 2, mix: 0 }, { epoch: 2, rho: 2, mix: null }, { epoch: 3, rho: 2, mix: 0.2 }])).toEqual([null, null, 'visual']);
    expect(warmupSpan(config)).toEqual([0, 2]);
    expect(warmupSpan({ method: 'bmm', bmm: options(0, 0) })).toBeNull();
    expect(warmupSpan({ method: 'mm', bmm: options(3, 0) })).toBeNull();
  });

  it('agrees with B-MM itself (balancePlan on plannedRho) for random rho histories, warm-ups and smoothings', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 200; trial++) {
      const warmup = Math.floor(rng.uniform() * 4);
      const smoothing = rng.uniform() < 0.5 ? 0 : Math.round(rng.uniform() * 19) / 20;
      const rhos = Array.from({ length: 8 }, () => (rng.uniform() < 0.05 ? Infinity : Math.exp((rng.uniform() - 0.5) * 1.2)));
      const bmm = options(warmup, smoothing);
      const got = mixedModalities({ method: 'bmm', bmm }, epochs(rhos));
      const want = rhos.map((_, e) => {
        const history = rhos.slice(0, e);
        const plan = balancePlan(smoothing > 0 ? plannedRho(history, smoothing) : (history[history.length - 1] ?? null), e, bmm);
        return plan.m > 0 ? plan.weak : null;
      });
      expect(got, `warmup ${warmup}, smoothing ${smoothing}, rho ${rhos.join(' ')}`).toEqual(want);
    }
  });
});

describe('mixedModalities on a real B-MM session', () => {
  it('names the modality the session mixed in each epoch (from its step records), and s_a / s_v is rho', async () => {
    await useBackend('wasm');
    const config = makeConfig({ preset: 'tiny', width: 0.0625, batch: 4, epochs: 3, featuresEvery: 0, audioHeight: 16, audioWidth: 16, visualSize: 16, method: 'bmm', bmm: { ...makeConfig().bmm, warmup: 1 } });
    const dataset = makeDemoDataset({ numClasses: 3, trainPerClass: 4, testPerClass: 2, audioHeight: 16, audioWidth: 16, frameSize: 16, frames: 2, seed: 0 });
    const steps: StepRecord[] = [];
    const s = await TrainingSession.create({ config, dataset, keepCurrentBackend: true, onStep: (r) => steps.push(r) });
    const epochs: EpochMetrics[] = [];
    s.on((e) => {
      if (e.type === 'epoch') epochs.push(e.metrics);
    });
    await s.run();
    s.dispose();
    const recorded = epochs.map((m) => {
      const weak = new Set(steps.filter((r) => r.epoch === m.epoch && r.weak !== null).map((r) => r.weak));
      expect(weak.size, `epoch ${m.epoch} mixes one modality`).toBeLessThanOrEqual(1);
      return weak.size ? [...weak][0] : null;
    });
    expect(recorded[0]).toBeNull(); // the warm-up
    expect(recorded.slice(1).every((w) => w !== null)).toBe(true);
    expect(mixedModalities(config, epochs)).toEqual(recorded);
    for (const m of epochs) expect(m.scores!.audio / m.scores!.visual).toBeCloseTo(m.rho, 9);
  }, 120_000);
});
