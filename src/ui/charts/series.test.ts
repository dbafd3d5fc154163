import { describe, expect, it } from 'vitest';
import { makeConfig, type TrainConfig } from '../../core/config';
import { fakeEpochMetrics } from '../../../test/support/fakeTrainer';
import { AUDIO_FLOW, AUDIO_RGB, RGB_FLOW, type ModalityPair } from '../../core/modalities';
import { MODALITY_COLORS } from '../palette';
import { buildSeries, chartBands, chartLegend, chartNames, chartSummary, chartTitles, MAX_MARKERS, rhoDomain, runLegend, stabiliseSeries, xDomain, yTitles, type ChartRun } from './series';

const bmm = makeConfig({ method: 'bmm', bmm: { ...makeConfig().bmm, warmup: 1 } });
const erm = makeConfig({ method: 'erm' });

/** The names of the demo's branches (audio + RGB), which most tests here draw. */
const demo = chartNames([AUDIO_RGB], AUDIO_RGB);
const CHART_TITLES = chartTitles(demo);
const Y_TITLES = yTitles(demo);

function chartRun(id: string, config: TrainConfig = bmm, epochs = 2, color = '#123456', modalities: ModalityPair = AUDIO_RGB): ChartRun {
  return {
    id,
    label: id,
    modalities,
    color,
    marker: 'circle',
    config,
    epochs: Array.from({ length: epochs }, (_, i) => fakeEpochMetrics(config, i + 1, 2, 10)),
    batches: [
      { x: 0.5, loss: 2, acc: 0.4, mix: null },
      { x: 1, loss: 1, acc: 0.6, mix: null },
    ],
  };
}

describe('buildSeries', () => {
  it('makes per-batch and per-epoch curves for one run', () => {
    const s = buildSeries([chartRun('r')], 0);
    expect(s.loss.map((x) => x.name)).toEqual(['batch loss', 'epoch loss']);
    expect(s.loss[0]).toMatchObject({ kind: 'batch', marker: null, width: 1, points: [{ x: 0.5, y: 2 }, { x: 1, y: 1 }] });
    expect(s.loss[1].points).toEqual([
      { x: 1, y: 2 },
      { x: 2, y: 1 },
    ]);
    expect(s.fused.map((x) => [x.name, x.dashed])).toEqual([
      ['batch acc', false],
      ['train', false],
      ['test', true],
    ]);
    expect(s.rho[0].points.map((p) => p.y)).toEqual([1.45, 1.4]);
    // B-MM has an epoch mix; batches carry none here, so only the epoch curve.
    expect(s.mix.map((x) => x.name)).toEqual(['epoch']);
  });

  it('draws both branches, train and test, of every run on one chart in the branch colours, named by the run\'s kinds', () => {
    const s = buildSeries([chartRun('a', erm, 2, '#ff0000'), chartRun('b', bmm, 2, '#00ff00')], 0);
    expect(s.modalities.map((x) => [x.runId, x.name, x.color, x.dashed])).toEqual([
      ['a', 'a · Audio train', MODALITY_COLORS.audio, false],
      ['a', 'a · Audio test', MODALITY_COLORS.audio, true],
      ['a', 'a · RGB train', MODALITY_COLORS.visual, false],
      ['a', 'a · RGB test', MODALITY_COLORS.visual, true],
      ['b', 'b · Audio train', MODALITY_COLORS.audio, false],
      ['b', 'b · Audio test', MODALITY_COLORS.audio, true],
      ['b', 'b · RGB train', MODALITY_COLORS.visual, false],
      ['b', 'b · RGB test', MODALITY_COLORS.visual, true],
    ]);
    expect(s.modalities[1].points.map((p) => p.y)).toEqual([fakeEpochMetrics(erm, 1, 2, 10).audio.testAcc, fakeEpochMetrics(erm, 2, 2, 10).audio.testAcc]);
    // Elsewhere a run is its colour.
    expect(s.loss.map((x) => x.color)).toEqual(['#ff0000', '#ff0000', '#00ff00', '#00ff00']);
  });

  it('names an RGB + flow run\'s curves RGB and Flow; runs of different pairs each by their own', () => {
    const one = buildSeries([chartRun('u', bmm, 2, '#ff0000', RGB_FLOW)], 0);
    expect(one.modalities.map((x) => x.name)).toEqual(['RGB train', 'RGB test', 'Flow train', 'Flow test']);
    const both = buildSeries([chartRun('u', bmm, 2, '#ff0000', RGB_FLOW), chartRun('d', erm, 2, '#00ff00', AUDIO_RGB)], 0);
    expect(both.modalities.map((x) => x.name)).toEqual(['u · RGB train', 'u · RGB test', 'u · Flow train', 'u · Flow test', 'd · Audio train', 'd · Audio test', 'd · RGB train', 'd · RGB test']);
  });

  it('marks each epoch of the mix curve with the colour of the modality B-MM mixed (none in the warm-up)', () => {
    // fake rho is 1.45, 1.4, ... (> 1: audio strong), so after the 1-epoch warm-up B-MM mixes visual.
    const s = buildSeries([chartRun('r', bmm, 3)], 0);
    expect(s.mix[0].pointColors).toEqual([null, MODALITY_COLORS.visual, MODALITY_COLORS.visual]);
  });

  it('drops empty curves (ERM has no mix) and names runs when several are drawn', () => {
    const s = buildSeries([chartRun('a', erm), chartRun('b', bmm)], 0);
    expect(s.mix.map((x) => x.name)).toEqual(['b · epoch']);
    expect(s.loss.map((x) => x.id)).toEqual(['a:batch-loss', 'a:loss', 'b:batch-loss', 'b:loss']);
  });

  it('keeps at most MAX_MARKERS markers on a per-epoch curve', () => {
    expect(buildSeries([chartRun('r', bmm, MAX_MARKERS)], 0).loss[1].dotEvery).toBe(1);
    expect(buildSeries([chartRun('r', bmm, 4 * MAX_MARKERS)], 0).loss[1].dotEvery).toBe(4);
  });

  it('stabiliseSeries hands back the previous arrays of charts whose curves did not change', () => {
    const run = chartRun('r');
    const before = buildSeries([run], 0);
    expect(stabiliseSeries(null, before)).toBe(before);
    expect(stabiliseSeries(before, buildSeries([run], 0))).toBe(before);
    const grown = { ...run, batches: [...run.batches, { x: 1.5, loss: 0.5, acc: 0.7, mix: 0.2 }] };
    const after = stabiliseSeries(before, buildSeries([grown], 0));
    expect(after.loss).not.toBe(before.loss);
    expect(after.loss[0].points).toHaveLength(3);
    expect(after.fused).not.toBe(before.fused);
    expect(after.mix).not.toBe(before.mix);
    for (const id of ['modalities', 'rho'] as const) expect(after[id]).toBe(before[id]);
  });

  it('spans x from 0 to the longest configured or reached epoch', () => {
    expect(xDomain([chartRun('r', bmm, 3)], [10])).toEqual([0, 10]);
    expect(xDomain([chartRun('r', bmm, 12)], [10])).toEqual([0, 12]);
    expect(xDomain([], [])).toEqual([0, 1]);
  });
});

describe('legends and bands', () => {
  it('legends name each encoding once, whatever the number of runs; test has the dashed glyph', () => {
    const one = buildSeries([chartRun('a')], 0);
    const four = buildSeries(['a', 'b', 'c', 'd'].map((id) => chartRun(id)), 0);
    for (const id of ['loss', 'fused', 'modalities', 'rho', 'mix'] as const) {
      expect(chartLegend(id, four[id], chartBands(id, [{ config: bmm }], null, demo), demo)).toEqual(chartLegend(id, one[id], chartBands(id, [{ config: bmm }], null, demo), demo));
    }
    const fused = chartLegend('fused', four.fused, [], demo);
    expect(fused.map((i) => [i.label, i.glyph])).toEqual([
      ['per batch', 'thin'],
      ['train', 'line'],
      ['test', 'dashed'],
    ]);
    expect(chartLegend('modalities', four.modalities, [], demo).map((i) => [i.label, i.glyph, i.color])).toEqual([
      ['Audio', 'swatch', MODALITY_COLORS.audio],
      ['RGB', 'swatch', MODALITY_COLORS.visual],
      ['train', 'line', expect.any(String)],
      ['test', 'dashed', expect.any(String)],
    ]);
    expect(chartLegend('mix', four.mix, [], demo).map((i) => i.label)).toContain('mixes RGB');
  });

  it('names the branches of RGB + flow runs RGB and Flow in the titles, axis, legends and rho bands', () => {
    const runs = [chartRun('u', bmm, 3, '#ff0000', RGB_FLOW)];
    const names = chartNames(runs.map((r) => r.modalities), AUDIO_RGB);
    const s = buildSeries(runs, 0);
    expect(chartTitles(names).modalities).toBe('RGB vs Flow accuracy (train / test)');
    expect(chartTitles(names).rho).toBe('Imbalance rho = s_RGB / s_Flow (> 1: RGB stronger)');
    expect(yTitles(names).rho).toBe('rho (s_RGB / s_Flow)');
    expect(chartLegend('modalities', s.modalities, [], names).slice(0, 2).map((i) => i.label)).toEqual(['RGB', 'Flow']);
    // rho > 1 (RGB strong) after the warm-up: B-MM mixes the second branch, Flow.
    expect(chartLegend('mix', s.mix, [], names).map((i) => i.label)).toContain('mixes Flow');
    expect(chartBands('rho', runs, null, names).slice(0, 2).map((b) => b.label)).toEqual(['> 1: RGB stronger', '< 1: Flow stronger']);
    const summary = chartSummary('rho', chartTitles(names).rho, yTitles(names).rho, s.rho, runs);
    expect(summary).toMatch(/^Imbalance rho = s_RGB \/ s_Flow .*y: rho \(s_RGB \/ s_Flow\)\. u: epoch 3 rho 1\.35, RGB stronger$/);
    expect(chartSummary('modalities', 't', 'y', s.modalities, runs)).toMatch(/test RGB [\d.]+%, Flow [\d.]+%/);
    expect(chartSummary('mix', 't', 'y', s.mix, runs)).toMatch(/mixes Flow with m /);
  });

  it('names the branches of an audio + RGB run Audio and RGB', () => {
    expect(CHART_TITLES.modalities).toBe('Audio vs RGB accuracy (train / test)');
    expect(CHART_TITLES.rho).toBe('Imbalance rho = s_Audio / s_RGB (> 1: Audio stronger)');
    expect(chartBands('rho', [{ config: bmm }], null, demo).slice(0, 2).map((b) => b.label)).toEqual(['> 1: Audio stronger', '< 1: RGB stronger']);
    // With nothing drawn, the selected dataset's pair names them.
    expect(chartTitles(chartNames([], AUDIO_FLOW)).rho).toBe('Imbalance rho = s_Audio / s_Flow (> 1: Audio stronger)');
  });

  it('says "first branch" / "second branch" where the runs drawn have different pairs, with the kinds each is', () => {
    const runs = [chartRun('u', bmm, 2, '#ff0000', RGB_FLOW), chartRun('d', bmm, 2, '#00ff00', AUDIO_RGB)];
    const names = chartNames(runs.map((r) => r.modalities), AUDIO_RGB);
    expect(names.pair).toBeNull();
    expect(chartTitles(names).modalities).toBe('First branch vs second branch accuracy (train / test), runs of several modality pairs');
    expect(chartTitles(names).rho).toBe('Imbalance rho = s_first / s_second (> 1: first branch stronger)');
    expect(chartLegend('modalities', buildSeries(runs, 0).modalities, [], names).slice(0, 2).map((i) => i.label)).toEqual(['first branch (RGB, Audio)', 'second branch (Flow, RGB)']);
    expect(chartBands('rho', runs, null, names).slice(0, 2).map((b) => b.label)).toEqual(['> 1: first branch stronger', '< 1: second branch stronger']);
  });

  it('shades B-MM warm-up on the imbalance view and tints the sides of rho = 1 with the stronger modality', () => {
    expect(chartBands('modalities', [{ config: bmm }, { config: erm }], null, demo)).toEqual([expect.objectContaining({ axis: 'x', from: 0, to: 1, label: 'B-MM warm-up' })]);
    expect(chartBands('loss', [{ config: bmm }], null, demo)).toEqual([]);
    expect(chartBands('mix', [{ config: erm }], null, demo)).toEqual([]);
    const rho = chartBands('rho', [{ config: bmm }], null, demo);
    expect(rho.map((b) => b.label)).toEqual(['> 1: Audio stronger', '< 1: RGB stronger', 'B-MM warm-up']);
    expect(rho[0]).toMatchObject({ axis: 'y', from: 1, to: null, color: MODALITY_COLORS.audio });
    expect(rho[1]).toMatchObject({ axis: 'y', from: null, to: 1, color: MODALITY_COLORS.visual });
  });

  it('exported images name the runs; the modality chart shows them by marker only', () => {
    const runs = [chartRun('a', bmm, 2, '#ff0000')];
    expect(runLegend('loss', runs)).toEqual([{ key: 'run-0', label: 'a', glyph: 'line', color: '#ff0000', marker: 'circle' }]);
    expect(runLegend('modalities', runs)[0].color).not.toBe('#ff0000');
  });

  it('summarises a chart in words for screen readers', () => {
    const runs = [chartRun('r', bmm, 3)];
    const s = buildSeries(runs, 0);
    expect(chartSummary('rho', CHART_TITLES.rho, Y_TITLES.rho, s.rho, runs)).toMatch(/x: epoch, y: rho.*epoch 3 rho 1\.35, Audio stronger/);
    expect(chartSummary('mix', CHART_TITLES.mix, Y_TITLES.mix, s.mix, runs)).toMatch(/epoch 3 mixes RGB with m /);
    expect(chartSummary('loss', CHART_TITLES.loss, Y_TITLES.loss, [], [])).toBe('Training loss: nothing recorded yet');
  });
});

describe('rhoDomain', () => {
  it('holds every rho and 1, padded, so both sides of 1 are shaded', () => {
    const runs = [chartRun('r', bmm, 3)];
    const [lo, hi] = rhoDomain(buildSeries(runs, 0).rho);
    expect(lo).toBeLessThan(1);
    expect(hi).toBeGreaterThanOrEqual(1.45);
    expect(rhoDomain([])).toEqual([0.9, 1.1]);
    const bands = chartBands('rho', runs, [lo, hi], demo);
    expect(bands.slice(0, 2).map((b) => [b.from, b.to])).toEqual([
      [1, hi],
      [lo, 1],
    ]);
  });
});
