import { describe, expect, it } from 'vitest';
import { makeConfig, type TrainConfig } from '../core/config';
import { fakeEpochMetrics } from '../../test/support/fakeTrainer';
import { newRunRecord, parseTags, runLabel, runName, type RunRecord } from './run';
import { DEFAULT_RUN_VIEW, runTableRows } from './runTable';

function run(id: string, createdAt: number, over: Partial<TrainConfig>, extra: Partial<RunRecord> = {}, acc = 0.5): RunRecord {
  const config = makeConfig({ preset: 'tiny', ...over });
  const epochs = [{ ...fakeEpochMetrics(config, 1, 2, 4), testAcc: acc }];
  return { ...newRunRecord({ id, config, datasetId: 'demo', datasetName: 'demo', classNames: [], trainSize: 0, testSize: 0, backend: 'wasm' }, createdAt), status: 'done', epochs, ...extra };
}

const runs = [
  run('a', 1, { method: 'erm', seed: 2 }, {}, 0.7),
  run('b', 2, { method: 'bmm', fusion: 'film', seed: 0 }, { name: 'film try', tags: ['ablation', 'film'] }, 0.9),
  run('c', 3, { method: 'bmm', seed: 1 }, { note: 'lr looks too high' }, 0.6),
];
const ids = (rs: RunRecord[]) => rs.map((r) => r.id);

describe('the runs table', () => {
  it('labels runs with method, fusion, preset, epochs and seed; a name replaces the label', () => {
    expect(runLabel(makeConfig({ method: 'bmm', fusion: 'concat', preset: 'fast', epochs: 15, seed: 3 }))).toBe('B-MM concat fast 15ep seed 3');
    expect(runName(runs[1])).toBe('film try');
    expect(runName({ ...runs[1], name: '  ' })).toBe(runLabel(runs[1].config));
    expect(parseTags(' a, b ,, a,c ')).toEqual(['a', 'b', 'c']);
  });

  it('sorts newest first by default, and by any column either way', () => {
    expect(ids(runTableRows(runs, DEFAULT_RUN_VIEW))).toEqual(['c', 'b', 'a']);
    expect(ids(runTableRows(runs, { ...DEFAULT_RUN_VIEW, sort: 'seed', descending: false }))).toEqual(['b', 'c', 'a']);
    expect(ids(runTableRows(runs, { ...DEFAULT_RUN_VIEW, sort: 'bestFused' }))).toEqual(['b', 'a', 'c']);
    // Ties keep creation order.
    expect(ids(runTableRows(runs, { ...DEFAULT_RUN_VIEW, sort: 'method', descending: false }))).toEqual(['b', 'c', 'a']);
  });

  it('filters by config column and by the words a row shows (name, tags, note)', () => {
    expect(ids(runTableRows(runs, { ...DEFAULT_RUN_VIEW, method: 'bmm' }))).toEqual(['c', 'b']);
    expect(ids(runTableRows(runs, { ...DEFAULT_RUN_VIEW, fusion: 'film' }))).toEqual(['b']);
    expect(ids(runTableRows(runs, { ...DEFAULT_RUN_VIEW, text: 'ABLATION' }))).toEqual(['b']);
    expect(ids(runTableRows(runs, { ...DEFAULT_RUN_VIEW, text: 'too high' }))).toEqual(['c']);
    expect(ids(runTableRows(runs, { ...DEFAULT_RUN_VIEW, text: 'erm seed 2' }))).toEqual(['a']);
    expect(runTableRows(runs, { ...DEFAULT_RUN_VIEW, method: 'mm' })).toEqual([]);
  });
});
