import { describe, expect, it } from 'vitest';
import { makeConfig, type TrainConfig } from '../core/config';
import { fakeEpochMetrics } from '../../test/support/fakeTrainer';
import { AUDIO_FLOW, AUDIO_RGB, RGB_FLOW } from '../core/modalities';
import { methodLabel, newRunRecord, parseTags, runLabel, runModalities, runName, type RunRecord } from './run';
import { branchColumns, DEFAULT_RUN_VIEW, runTableRows } from './runTable';

function run(id: string, createdAt: number, over: Partial<TrainConfig>, extra: Partial<RunRecord> = {}, acc = 0.5): RunRecord {
  const config = makeConfig({ preset: 'tiny', ...over });
  const epochs = [{ ...fakeEpochMetrics(config, 1, 2, 4), testAcc: acc }];
  return { ...newRunRecord({ id, config, datasetId: 'demo', datasetName: 'demo', classNames: [], trainSize: 0, testSize: 0, modalities: AUDIO_RGB, backend: 'wasm' }, createdAt), status: 'done', epochs, ...extra };
}

const runs = [
  run('a', 1, { method: 'erm', seed: 2 }, {}, 0.7),
  run('b', 2, { method: 'bmm', fusion: 'film', seed: 0 }, { name: 'film try', tags: ['ablation', 'film'] }, 0.9),
  run('c', 3, { method: 'bmm', seed: 1 }, { note: 'lr looks too high' }, 0.6),
];
const ids = (rs: RunRecord[]) => rs.map((r) => r.id);

describe('the runs table', () => {
  it('labels runs with method, fusion, preset, epochs and seed; a name replaces the label', () => {
    expect(runLabel(makeConfig({ method: 'bmm', fusion: 'concat', preset: 'fast', epochs: 15, seed: 3 }), AUDIO_RGB)).toBe('B-MM concat fast 15ep seed 3');
    expect(runName(runs[1])).toBe('film try');
    expect(runName({ ...runs[1], name: '  ' })).toBe(runLabel(runs[1].config, AUDIO_RGB));
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

  it('reads a run\'s pair; a record stored or exported before branch kinds has none and is audio + RGB', () => {
    const stored = { ...runs[0] } as Partial<RunRecord>;
    delete stored.modalities;
    expect(runModalities(stored)).toBe(AUDIO_RGB);
    expect(runModalities({ modalities: undefined })).toBe(AUDIO_RGB);
    // A pair read back from IndexedDB is a plain array: it is the lab's pair it spells.
    expect(runModalities({ modalities: ['rgb', 'flow'] })).toBe(RGB_FLOW);
    expect(runModalities({ modalities: ['flow', 'rgb'] as unknown as RunRecord['modalities'] })).toBe(AUDIO_RGB);
  });

  it('names a method after a branch by the run\'s pair: "RGB only" for audio-only on RGB + flow', () => {
    expect(methodLabel('audio-only', RGB_FLOW)).toBe('RGB only');
    expect(methodLabel('visual-only', RGB_FLOW)).toBe('Flow only');
    expect(methodLabel('audio-only', AUDIO_RGB)).toBe('Audio only');
    expect(methodLabel('visual-only', AUDIO_FLOW)).toBe('Flow only');
    expect(methodLabel('visual-only', null)).toBe('Second branch only');
    expect(methodLabel('bmm', RGB_FLOW)).toBe('B-MM');
    const solo = run('s', 4, { method: 'visual-only', unimodal: 'zero', seed: 1 }, { modalities: RGB_FLOW });
    expect(runName(solo)).toBe(`Flow only concat tiny ${solo.config.epochs}ep seed 1`);
    // The text filter finds runs by their kinds' names too.
    expect(ids(runTableRows([...runs, solo], { ...DEFAULT_RUN_VIEW, text: 'flow only' }))).toEqual(['s']);
    expect(ids(runTableRows([...runs, solo], { ...DEFAULT_RUN_VIEW, text: 'rgb + flow' }))).toEqual(['s']);
  });

  it('heads the branch columns with the rows\' kinds, and says so where the rows are of several pairs', () => {
    expect(branchColumns([RGB_FLOW, RGB_FLOW])).toEqual({ audio: 'RGB', visual: 'Flow', mixedNote: null });
    expect(branchColumns(runs.map(runModalities))).toEqual({ audio: 'Audio', visual: 'RGB', mixedNote: null });
    const mixed = branchColumns([RGB_FLOW, AUDIO_RGB]);
    expect([mixed.audio, mixed.visual]).toEqual(['first branch', 'second branch']);
    expect(mixed.mixedNote).toMatch(/several modality pairs/);
  });
});
