import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../core/config';
import { fakeEpochMetrics } from '../../../test/support/fakeTrainer';
import { buildSeries, MAX_DOTTED_EPOCHS, stabiliseSeries, xDomain, type ChartRun } from './series';

const bmm = makeConfig({ method: 'bmm' });
const erm = makeConfig({ method: 'erm' });

function chartRun(id: string, config = bmm, epochs = 2): ChartRun {
  return {
    id,
    label: id,
    color: '#123456',
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
    expect(s.loss[0]).toMatchObject({ dots: false, width: 1, points: [{ x: 0.5, y: 2 }, { x: 1, y: 1 }] });
    expect(s.loss[1].points).toEqual([
      { x: 1, y: 2 },
      { x: 2, y: 1 },
    ]);
    expect(s.fused.map((x) => [x.name, x.dashed])).toEqual([
      ['batch acc', false],
      ['train', false],
      ['test', true],
    ]);
    expect(s.audio).toHaveLength(2);
    expect(s.visual).toHaveLength(2);
    expect(s.rho[0].points.map((p) => p.y)).toEqual([1.45, 1.4]);
    // B-MM has an epoch mix; batches carry none here, so only the epoch curve.
    expect(s.mix.map((x) => x.name)).toEqual(['epoch']);
  });

  it('drops empty curves (ERM has no mix) and names runs when several are drawn', () => {
    const s = buildSeries([chartRun('a', erm), chartRun('b', bmm)], 0);
    expect(s.mix.map((x) => x.name)).toEqual(['b · epoch']);
    expect(s.loss.map((x) => x.id)).toEqual(['a:batch-loss', 'a:loss', 'b:batch-loss', 'b:loss']);
  });

  it('puts dots only on short per-epoch curves', () => {
    expect(buildSeries([chartRun('r', bmm, MAX_DOTTED_EPOCHS)], 0).loss[1].dots).toBe(true);
    expect(buildSeries([chartRun('r', bmm, MAX_DOTTED_EPOCHS + 1)], 0).loss[1].dots).toBe(false);
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
    for (const id of ['audio', 'visual', 'rho'] as const) expect(after[id]).toBe(before[id]);
  });

  it('spans x from 0 to the longest configured or reached epoch', () => {
    expect(xDomain([chartRun('r', bmm, 3)], [10])).toEqual([0, 10]);
    expect(xDomain([chartRun('r', bmm, 12)], [10])).toEqual([0, 12]);
    expect(xDomain([], [])).toEqual([0, 1]);
  });
});
