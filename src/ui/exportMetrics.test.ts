import { describe, expect, it } from 'vitest';
import { makeConfig } from '../core/config';
import { fakeEpochMetrics } from '../../test/support/fakeTrainer';
import { exportStem, METRICS_CSV_COLUMNS, metricsToCsv, metricsToJson } from './exportMetrics';
import type { RunRecord } from './run';

describe('metricsToCsv', () => {
  it('writes a header and one row per epoch with empty cells for missing values', () => {
    const config = makeConfig({ method: 'erm' });
    const m = fakeEpochMetrics(config, 1, 2, 10);
    const withCoef = { ...fakeEpochMetrics(config, 2, 2, 10), mix: 0.25, coefficients: { audio: 0.5, visual: 1 } };
    const csv = metricsToCsv([m, withCoef]);
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe(METRICS_CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(3);
    const row1 = lines[1].split(',');
    expect(row1).toHaveLength(METRICS_CSV_COLUMNS.length);
    expect(row1[0]).toBe('1');
    expect(Number(row1[1])).toBe(m.loss);
    expect(Number(row1[3])).toBe(m.testAcc);
    expect(Number(row1[5])).toBe(m.audio.testAcc);
    expect(Number(row1[7])).toBe(m.visual.testAcc);
    expect(row1[9]).toBe(''); // mix null for ERM
    expect(row1[10]).toBe('');
    const row2 = lines[2].split(',');
    expect(row2.slice(9, 12)).toEqual(['0.25', '0.5', '1']);
    expect(metricsToCsv([])).toBe(`${METRICS_CSV_COLUMNS.join(',')}\n`);
  });
});

describe('metricsToJson', () => {
  it('carries config, dataset and epochs', () => {
    const config = makeConfig({ seed: 4, method: 'mm' });
    const run: RunRecord = {
      id: 'r1',
      createdAt: Date.UTC(2024, 4, 1, 12, 0, 0),
      updatedAt: 0,
      config,
      datasetId: 'demo',
      datasetName: 'demo',
      classNames: ['a', 'b'],
      trainSize: 8,
      testSize: 2,
      backend: 'wasm',
      status: 'done',
      epochs: [fakeEpochMetrics(config, 1, 2, 2)],
      batches: [],
      summary: null,
      checkpointEpoch: null,
      embeddingEpochs: [],
      error: null,
    };
    const parsed = JSON.parse(metricsToJson(run));
    expect(parsed.format).toBe('bmm-lab-metrics');
    expect(parsed.config).toEqual(config);
    expect(parsed.dataset).toEqual({ name: 'demo', classNames: ['a', 'b'], trainSize: 8, testSize: 2 });
    expect(parsed.epochs[0].confusion.fused).toEqual(run.epochs[0].confusion.fused);
    expect(parsed.createdAt).toBe('2024-05-01T12:00:00.000Z');
    expect(exportStem(run)).toBe('bmm-lab_mm-concat-seed4_2024-05-01T12-00-00');
  });
});
