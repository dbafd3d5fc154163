import { describe, expect, it } from 'vitest';
import { makeConfig, type TrainConfig } from '../core/config';
import { fakeEpochMetrics } from '../../test/support/fakeTrainer';
import {
  exportedFileName,
  exportFileName,
  fileSlug,
  METRICS_CSV_COLUMNS,
  metricsCsvFile,
  metricsJsonFile,
  metricsToCsv,
  metricsToJson,
  runFileLabel,
  runFileName,
  runsFileLabel,
  UMAP_CSV_COLUMNS,
  umapCsvFile,
  umapToCsv,
} from './exportMetrics';
import { RGB_FLOW } from '../core/modalities';
import { newRunRecord, runLabel, type RunRecord } from './run';
import { AUDIO_RGB } from '../core/modalities';

function record(id: string, config: TrainConfig, epochs: number, createdAt = Date.UTC(2024, 4, 1, 12, 0, 0)): RunRecord {
  return {
    ...newRunRecord({ id, config, datasetId: 'demo', datasetName: 'demo', classNames: ['a', 'b'], trainSize: 8, testSize: 2, modalities: AUDIO_RGB, backend: 'wasm' }, createdAt),
    epochs: Array.from({ length: epochs }, (_, i) => ({ ...fakeEpochMetrics(config, i + 1, 2, 10), scores: { audio: 30 + i, visual: 20 } })),
  };
}

/** CSV rows as objects by column name (no quoted commas in these tests' values). */
function parse(csv: string): Record<string, string>[] {
  const [header, ...lines] = csv.trimEnd().split('\n');
  const cols = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

describe('metricsToCsv', () => {
  it('writes a header and one row per epoch with the run id, method, fusion, seed, s_a and s_v; empty cells for missing values', () => {
    const config = makeConfig({ method: 'erm', fusion: 'gated', seed: 7 });
    const run = record('run-1', config, 2);
    run.epochs[1] = { ...run.epochs[1], mix: 0.25, coefficients: { audio: 0.5, visual: 1 } };
    const csv = metricsToCsv([run]);
    expect(csv.split('\n')[0]).toBe(METRICS_CSV_COLUMNS.join(','));
    for (const c of ['run_id', 'method', 'fusion', 'seed', 's_a', 's_v']) expect(METRICS_CSV_COLUMNS).toContain(c);
    const rows = parse(csv);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ run_id: 'run-1', run_label: runLabel(config, AUDIO_RGB), method: 'erm', fusion: 'gated', seed: '7', epoch: '1', s_a: '30', s_v: '20', modalities: 'audio+rgb' });
    expect(Number(rows[0].loss)).toBe(run.epochs[0].loss);
    expect(Number(rows[0].test_acc)).toBe(run.epochs[0].testAcc);
    expect(Number(rows[0].audio_test_acc)).toBe(run.epochs[0].audio.testAcc);
    expect(Number(rows[0].visual_test_acc)).toBe(run.epochs[0].visual.testAcc);
    expect(Number(rows[0].rho)).toBe(run.epochs[0].rho);
    expect(rows[0]).toMatchObject({ strong_modality: 'audio', mixed_modality: '', mix: '', coef_audio: '' });
    expect(rows[1]).toMatchObject({ mix: '0.25', coef_audio: '0.5', coef_visual: '1' });
    const old = { ...run, epochs: [{ ...run.epochs[0], scores: undefined }] };
    expect(parse(metricsToCsv([old]))[0]).toMatchObject({ s_a: '', s_v: '' });
    expect(metricsToCsv([])).toBe(`${METRICS_CSV_COLUMNS.join(',')}\n`);
  });

  it('puts several runs in one file, each row saying its run; B-MM rows say which modality was mixed', () => {
    const a = record('a', makeConfig({ method: 'erm', seed: 1 }), 2);
    const b = record('b', makeConfig({ method: 'bmm', seed: 2, bmm: { ...makeConfig().bmm, warmup: 1 } }), 3);
    const rows = parse(metricsToCsv([a, b]));
    expect(rows.map((r) => [r.run_id, r.method, r.seed, r.epoch])).toEqual([
      ['a', 'erm', '1', '1'],
      ['a', 'erm', '1', '2'],
      ['b', 'bmm', '2', '1'],
      ['b', 'bmm', '2', '2'],
      ['b', 'bmm', '2', '3'],
    ]);
    expect(rows.slice(2).map((r) => r.mixed_modality)).toEqual(['', 'visual', 'visual']);
    const file = metricsCsvFile([a, b]);
    expect(file.name).toBe('bmm-lab_2-runs_metrics.csv');
  });

  it('carries each run\'s pair: the audio_* / visual_* columns are its first / second branch, named in `modalities`', () => {
    const ucf = { ...record('u', makeConfig({ method: 'audio-only', unimodal: 'zero', seed: 1 }), 1), modalities: RGB_FLOW };
    // A run stored before branch kinds has no pair: audio + RGB.
    const old = { ...record('o', makeConfig({ method: 'erm', seed: 2 }), 1), modalities: undefined };
    const csv = metricsToCsv([ucf, old]);
    expect(csv.split('\n')[0].split(',').at(-1)).toBe('modalities');
    const rows = parse(csv);
    expect(rows.map((r) => [r.run_id, r.modalities, r.strong_modality])).toEqual([
      ['u', 'rgb+flow', 'audio'],
      ['o', 'audio+rgb', 'audio'],
    ]);
    // The human-facing label names the branch the method trains by its kind.
    expect(rows[0].run_label).toMatch(/^RGB only /);
    expect(Number(rows[0].audio_test_acc)).toBe(ucf.epochs[0].audio.testAcc);
    const json = JSON.parse(metricsToJson(ucf));
    expect(json.dataset.modalities).toEqual(['rgb', 'flow']);
    expect(JSON.parse(metricsToJson(old)).dataset.modalities).toEqual(['spectrogram', 'rgb']);
  });

  it('quotes text cells that hold commas or quotes', () => {
    const run = record('id,with "quote"', makeConfig(), 1);
    expect(metricsToCsv([run]).split('\n')[1].startsWith('"id,with ""quote""",')).toBe(true);
  });
});

describe('file names', () => {
  it('every export follows bmm-lab_<run-label>_<what>.<ext>', () => {
    const run = record('r', makeConfig({ method: 'mm', seed: 4 }), 1);
    const label = `${fileSlug(runLabel(run.config, AUDIO_RGB))}-20240501-120000`;
    expect(label).toMatch(/^mm-concat-fast-.*seed-4-20240501-120000$/);
    expect(runFileLabel(run)).toBe(label);
    expect(metricsCsvFile([run]).name).toBe(`bmm-lab_${label}_metrics.csv`);
    expect(metricsJsonFile(run).name).toBe(`bmm-lab_${label}_metrics.json`);
    expect(runFileName(run, 'config', 'run.json')).toBe(`bmm-lab_${label}_config.run.json`);
    expect(runFileName(run, 'UMAP', 'csv')).toBe(`bmm-lab_${label}_umap.csv`);
    expect(exportFileName(runsFileLabel(3), 'chart-rho', 'svg')).toBe('bmm-lab_3-runs_chart-rho.svg');
    expect(fileSlug('B-MM concat fast seed 0')).toBe('b-mm-concat-fast-seed-0');
    // A run the researcher named is filed under its name.
    expect(runFileLabel({ ...run, name: 'Warm-up 3, β 2' })).toBe('warm-up-3-2-20240501-120000');
    expect(parse(metricsToCsv([{ ...run, name: 'Warm-up 3' }]))[0].run_label).toBe('Warm-up 3');
    expect(exportedFileName(run, 'bmm-lab-mm-concat-epoch3.safetensors')).toBe(`bmm-lab_${label}_weights-epoch3.safetensors`);
    expect(exportedFileName(run, 'model.json')).toBe('model.json');
    expect(exportedFileName(undefined, 'x.safetensors')).toBe('x.safetensors');
    const names = [exportedFileName(run, 'bmm-lab-mm-concat-epoch3.safetensors'), metricsCsvFile([run]).name, metricsJsonFile(run).name, runFileName(run, 'config', 'run.json'), exportFileName(label, 'chart-loss', 'png')];
    for (const n of names) expect(n).toMatch(/^bmm-lab_[a-z0-9-]+_[a-z0-9-]+\.[a-z.]+$/);
  });
});

describe('umapToCsv', () => {
  it('writes one row per clip and epoch with split, class and the three maps\' coordinates', () => {
    const e = (epoch: number, shift: number) => ({
      epoch,
      labels: new Int32Array([0, 1]),
      split: new Uint8Array([0, 1]),
      audio: new Float32Array([1 + shift, 2, 3, 4]),
      visual: new Float32Array([5, 6, 7, 8]),
      fused: new Float32Array([9, 10, 11, 12]),
    });
    const csv = umapToCsv([e(3, 0.5), e(1, 0)], ['NEU', 'HAP'], RGB_FLOW);
    const rows = parse(csv);
    expect(csv.split('\n')[0]).toBe(UMAP_CSV_COLUMNS.join(','));
    expect(rows.map((r) => [r.epoch, r.clip, r.split, r.class])).toEqual([
      ['1', '0', 'train', 'NEU'],
      ['1', '1', 'test', 'HAP'],
      ['3', '0', 'train', 'NEU'],
      ['3', '1', 'test', 'HAP'],
    ]);
    expect(rows[1]).toMatchObject({ audio_x: '3', audio_y: '4', visual_x: '7', visual_y: '8', fused_x: '11', fused_y: '12', modalities: 'rgb+flow' });
    expect(rows[2].audio_x).toBe('1.5');
  });

  it('umapCsvFile: every epoch of the run, in order, under the run\'s file name', async () => {
    const run = record('r', makeConfig({ seed: 3 }), 1);
    const e = (epoch: number) => ({ epoch, labels: new Int32Array([1]), split: new Uint8Array([0]), audio: new Float32Array([1, 2]), visual: new Float32Array([3, 4]), fused: new Float32Array([5, 6]) });
    const file = umapCsvFile({ ...run, classNames: ['a', 'b'] }, { 4: e(4), 2: e(2) });
    expect(file.name).toBe(runFileName(run, 'umap', 'csv'));
    expect(file.name).toMatch(/^bmm-lab_.*seed-3-20240501-120000_umap\.csv$/);
    const rows = parse(await file.blob.text());
    expect(rows.map((r) => [r.epoch, r.class, r.fused_y])).toEqual([
      ['2', 'b', '6'],
      ['4', 'b', '6'],
    ]);
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
    // Written before branch kinds, the record has no pair: the export says audio + RGB.
    expect(parsed.dataset).toEqual({ name: 'demo', classNames: ['a', 'b'], trainSize: 8, testSize: 2, modalities: ['spectrogram', 'rgb'] });
    expect(parsed.epochs[0].confusion.fused).toEqual(run.epochs[0].confusion.fused);
    expect(parsed.createdAt).toBe('2024-05-01T12:00:00.000Z');
  });
});
