import { describe, expect, it } from 'vitest';
import { makeConfig, type TrainConfig } from '../core/config';
import type { EpochMetrics } from '../core/events';
import { newRunRecord, type RunRecord } from './run';
import { runResults } from '../core/results';
import { fakeEpochMetrics } from '../../test/support/fakeTrainer';
import { formatDiff, formatStat, groupCurve, groupKey, groupRuns, groupSettings, meanStd, pairedDiff, parseSeedList, stableStringify, sweepConfigs } from './runStats';
import { AUDIO_FLOW, AUDIO_RGB, RGB_FLOW, type ModalityPair } from '../core/modalities';

function epoch(e: number, fused: number, audio: number, visual: number): EpochMetrics {
  return { epoch: e, testAcc: fused, audio: { trainAcc: 0, testAcc: audio }, visual: { trainAcc: 0, testAcc: visual } } as EpochMetrics;
}

function run(id: string, config: TrainConfig, epochs: EpochMetrics[], status: RunRecord['status'] = 'done', datasetName = 'demo'): RunRecord {
  return {
    id,
    createdAt: Number(id.replace(/\D/g, '')) || 0,
    updatedAt: 0,
    config,
    datasetId: 'demo',
    datasetName,
    classNames: [],
    trainSize: 0,
    testSize: 0,
    backend: 'cpu',
    status,
    epochs,
    batches: [],
    summary: null,
    checkpointEpoch: null,
    embeddingEpochs: [],
    error: null,
  };
}

describe('meanStd', () => {
  it('uses the sample standard deviation', () => {
    // mean 0.7; squared deviations 0.01, 0, 0.01; / (3 - 1) = 0.01; sqrt = 0.1
    const s = meanStd([0.6, 0.7, 0.8]);
    expect(s.mean).toBeCloseTo(0.7, 12);
    expect(s.std).toBeCloseTo(0.1, 12);
    expect(s.n).toBe(3);
    // mean 0.7; deviations +-0.2; 0.08 / 1; sqrt = 0.28284
    expect(meanStd([0.5, 0.9]).std).toBeCloseTo(Math.sqrt(0.08), 12);
    expect(meanStd([0.4])).toEqual({ mean: 0.4, std: 0, n: 1 });
    expect(meanStd([]).n).toBe(0);
  });

  it('formats as percent', () => {
    expect(formatStat({ mean: 0.7, std: 0.1, n: 3 })).toBe('70.0 ± 10.0');
    expect(formatStat({ mean: 0.625, std: 0, n: 1 })).toBe('62.5');
    expect(formatStat(meanStd([]))).toBe('–');
  });
});

describe('runResults', () => {
  it('takes the best of each modality separately and the last epoch as final', () => {
    const r = runResults([epoch(1, 0.5, 0.6, 0.2), epoch(2, 0.7, 0.4, 0.3), epoch(3, 0.6, 0.5, 0.1)]);
    expect(r).toEqual({ best: { fused: 0.7, audio: 0.6, visual: 0.3 }, final: { fused: 0.6, audio: 0.5, visual: 0.1 }, rule: 'test' });
    expect(runResults([])).toBeNull();
  });
});

describe('groupRuns', () => {
  const bmm = makeConfig({ method: 'bmm', epochs: 2 });
  const erm = makeConfig({ method: 'erm', epochs: 2 });

  it('groups finished runs by dataset and config without the seed', () => {
    const runs = [
      run('r1', { ...bmm, seed: 0 }, [epoch(1, 0.5, 0.4, 0.3), epoch(2, 0.6, 0.5, 0.2)]),
      run('r2', erm, [epoch(1, 0.4, 0.4, 0.3), epoch(2, 0.45, 0.4, 0.3)]),
      run('r3', { ...bmm, seed: 1 }, [epoch(1, 0.8, 0.6, 0.5), epoch(2, 0.7, 0.6, 0.4)]),
      run('r4', { ...bmm, seed: 2 }, [epoch(1, 0.7, 0.5, 0.4), epoch(2, 0.7, 0.5, 0.3)]),
      run('r5', { ...bmm, seed: 3 }, [epoch(1, 0.9, 0.9, 0.9)], 'stopped'),
      run('r6', { ...bmm, seed: 4 }, [epoch(1, 0.9, 0.9, 0.9)], 'done', 'other dataset'),
    ];
    const groups = groupRuns(runs);
    expect(groups.map((g) => g.runIds)).toEqual([['r1', 'r3', 'r4'], ['r2'], ['r6']]);
    const g = groups[0];
    expect(g.seeds).toEqual([0, 1, 2]);
    // best fused 0.6, 0.8, 0.7 -> mean 0.7, std 0.1; final fused 0.6, 0.7, 0.7 -> mean 0.6667,
    // deviations -0.0667, 0.0333, 0.0333 -> (0.004444 + 0.001111 + 0.001111) / 2 = 0.003333 -> std 0.057735
    expect(g.best.fused.mean).toBeCloseTo(0.7, 12);
    expect(g.best.fused.std).toBeCloseTo(0.1, 12);
    expect(g.final.fused.mean).toBeCloseTo(2 / 3, 12);
    expect(g.final.fused.std).toBeCloseTo(Math.sqrt(1 / 300), 12);
    // best audio 0.5, 0.6, 0.5 -> mean 0.53333; best visual 0.3, 0.5, 0.4 -> mean 0.4, std 0.1
    expect(g.best.audio.mean).toBeCloseTo(1.6 / 3, 12);
    expect(g.best.visual.mean).toBeCloseTo(0.4, 12);
    expect(g.best.visual.std).toBeCloseTo(0.1, 12);
    // final visual 0.2, 0.4, 0.3 -> mean 0.3, std 0.1
    expect(g.final.visual.mean).toBeCloseTo(0.3, 12);
    expect(g.final.visual.std).toBeCloseTo(0.1, 12);
    expect(groups[1].best.fused).toEqual({ mean: 0.45, std: 0, n: 1 });
  });

  it('keys ignore the seed and key order only', () => {
    const a = makeConfig({ seed: 1 });
    const reordered = JSON.parse(stableStringify({ ...a, seed: 2 })) as TrainConfig;
    expect(groupKey('d', a)).toBe(groupKey('d', reordered));
    expect(groupKey('d', a)).not.toBe(groupKey('d', { ...a, lr: 0.01 }));
    expect(stableStringify({ b: 1, a: [1, { d: 2, c: null }] })).toBe('{"a":[1,{"c":null,"d":2}],"b":1}');
    // The pair is part of the group: one dataset decoded as two pairs is two groups; none recorded is audio + RGB.
    expect(groupKey('d', a, RGB_FLOW)).not.toBe(groupKey('d', a, AUDIO_FLOW));
    expect(groupKey('d', a)).toBe(groupKey('d', a, AUDIO_RGB));
  });

  it('groups runs of one dataset and config by their pair, each group with its pair', () => {
    const config = makeConfig({ preset: 'tiny', method: 'erm' });
    const run = (id: string, seed: number, modalities?: ModalityPair): RunRecord => ({
      ...newRunRecord({ id, config: { ...config, seed }, datasetId: 'u', datasetName: 'ucf', classNames: [], trainSize: 0, testSize: 0, modalities: AUDIO_RGB, backend: null }, 0),
      modalities,
      status: 'done',
      epochs: [fakeEpochMetrics(config, 1, 2, 4)],
    });
    const groups = groupRuns([run('a', 0, RGB_FLOW), run('b', 1, AUDIO_FLOW), run('c', 2, RGB_FLOW), run('old', 3)]);
    expect(groups.map((g) => [g.runIds, g.modalities])).toEqual([
      [['a', 'c'], RGB_FLOW],
      [['b'], AUDIO_FLOW],
      [['old'], AUDIO_RGB],
    ]);
  });
});

describe('sweeps', () => {
  const base = makeConfig({ method: 'bmm', seed: 7 });

  it('expands seeds, methods, or both (methods outer)', () => {
    expect(sweepConfigs(base, { seeds: [0, 1, 2] }).map((c) => [c.method, c.seed])).toEqual([
      ['bmm', 0],
      ['bmm', 1],
      ['bmm', 2],
    ]);
    expect(sweepConfigs(base, { methods: ['erm', 'ogm-ge'] }).map((c) => [c.method, c.seed])).toEqual([
      ['erm', 7],
      ['ogm-ge', 7],
    ]);
    expect(sweepConfigs(base, { methods: ['erm', 'mm'], seeds: [1, 2, 1] }).map((c) => `${c.method}/${c.seed}`)).toEqual(['erm/1', 'erm/2', 'mm/1', 'mm/2']);
    expect(sweepConfigs(base, {})).toEqual([base]);
    // Nothing else changes.
    expect({ ...sweepConfigs(base, { seeds: [3] })[0], seed: 7 }).toEqual(base);
  });

  it('parses seed lists', () => {
    expect(parseSeedList('0-4')).toEqual({ seeds: [0, 1, 2, 3, 4] });
    expect(parseSeedList('1, 2;3 5-6 2')).toEqual({ seeds: [1, 2, 3, 5, 6] });
    expect(parseSeedList('-2--1')).toEqual({ seeds: [-2, -1] });
    expect(parseSeedList('')).toHaveProperty('error');
    expect(parseSeedList('4-1')).toEqual({ error: 'range "4-1" runs backwards' });
    expect(parseSeedList('a')).toHaveProperty('error');
    expect(parseSeedList('0-1000')).toEqual({ error: 'at most 100 seeds' });
  });
});

describe('comparisons', () => {
  const done = (id: string, config: TrainConfig, accs: number[], visual = 0.3): RunRecord => ({
    ...newRunRecord({ id, config, datasetId: 'demo', datasetName: 'demo', classNames: [], trainSize: 0, testSize: 0, modalities: AUDIO_RGB, backend: null }, 0),
    status: 'done',
    epochs: accs.map((a, i) => ({ ...fakeEpochMetrics(config, i + 1, 2, 4), testAcc: a, visual: { trainAcc: 0, testAcc: visual } })),
  });

  it('groups ERM runs whatever B-MM\u2019s warm-up says, but not runs that differ in a setting their method uses', () => {
    const base = makeConfig({ preset: 'tiny', method: 'erm' });
    const a = done('a', { ...base, seed: 0 }, [0.5]);
    const b = done('b', { ...base, seed: 1, bmm: { ...base.bmm, warmup: 9 }, backend: 'wasm' }, [0.6]);
    expect(groupRuns([a, b])).toHaveLength(1);
    const bmm = makeConfig({ preset: 'tiny', method: 'bmm' });
    const c = done('c', bmm, [0.5]);
    const d = done('d', { ...bmm, seed: 1, bmm: { ...bmm.bmm, warmup: 9 } }, [0.5]);
    expect(groupRuns([c, d])).toHaveLength(2);
    expect(groupSettings(base)).not.toHaveProperty('bmm.warmup');
    expect(groupSettings(bmm)).toHaveProperty('bmm.warmup', bmm.bmm.warmup);
  });

  it('differences against a baseline are paired by seed: mean ± std of (method - baseline)', () => {
    const erm = makeConfig({ preset: 'tiny', method: 'erm' });
    const bmm = { ...erm, method: 'bmm' as const };
    // Final fused: ERM 0.50, 0.60, 0.70 (seeds 0-2); B-MM 0.60, 0.60 (seeds 0, 1) and seed 5 unpaired.
    const runs = [
      done('e0', { ...erm, seed: 0 }, [0.4, 0.5]),
      done('e1', { ...erm, seed: 1 }, [0.6, 0.6]),
      done('e2', { ...erm, seed: 2 }, [0.7, 0.7]),
      done('b0', { ...bmm, seed: 0 }, [0.3, 0.6], 0.5),
      done('b1', { ...bmm, seed: 1 }, [0.2, 0.6], 0.4),
      done('b5', { ...bmm, seed: 5 }, [0.9, 0.9]),
    ];
    const [ermGroup, bmmGroup] = groupRuns(runs);
    const diff = pairedDiff(bmmGroup, ermGroup)!;
    expect(diff.seeds).toEqual([0, 1]);
    // Final fused differences +0.10 and 0.00: mean 0.05, std sqrt(0.005).
    expect(diff.final.fused.mean).toBeCloseTo(0.05, 12);
    expect(diff.final.fused.std).toBeCloseTo(Math.sqrt(0.005), 12);
    // Visual +0.2 and +0.1.
    expect(diff.final.visual.mean).toBeCloseTo(0.15, 12);
    expect(formatDiff(diff.final.fused)).toBe('+5.0 ± 7.1');
    expect(formatDiff({ mean: -0.021, std: 0, n: 1 })).toBe('−2.1');
    expect(pairedDiff(bmmGroup, { ...ermGroup, bySeed: new Map() })).toBeNull();
  });

  it('draws a group as its mean curve with a ± std band, epoch by epoch', () => {
    const erm = makeConfig({ preset: 'tiny', method: 'erm' });
    const runs = [done('a', { ...erm, seed: 0 }, [0.4, 0.6]), done('b', { ...erm, seed: 1 }, [0.6, 0.6])];
    const [g] = groupRuns(runs);
    const curve = groupCurve(g, Object.fromEntries(runs.map((r) => [r.id, r])), 'testAcc');
    expect(curve.map((p) => p.epoch)).toEqual([1, 2]);
    expect(curve[0].mean).toBeCloseTo(0.5, 12);
    expect(curve[0].high - curve[0].mean).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(curve[1]).toMatchObject({ low: 0.6, high: 0.6, n: 2 });
  });
});
