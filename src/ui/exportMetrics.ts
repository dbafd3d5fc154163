/**
 * A run's metrics as CSV (one row per epoch) and JSON (config, dataset, every epoch), for analysis elsewhere.
 */
import type { EpochMetrics } from '../core/events';
import type { RunRecord } from './run';

export const METRICS_CSV_COLUMNS = [
  'epoch',
  'loss',
  'train_acc',
  'test_acc',
  'audio_train_acc',
  'audio_test_acc',
  'visual_train_acc',
  'visual_test_acc',
  'rho',
  'mix',
  'coef_audio',
  'coef_visual',
  'lr',
  'samples_per_sec',
  'seconds',
] as const;

function cell(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? '' : String(value);
}

function csvRow(m: EpochMetrics): string {
  return [
    m.epoch,
    m.loss,
    m.trainAcc,
    m.testAcc,
    m.audio.trainAcc,
    m.audio.testAcc,
    m.visual.trainAcc,
    m.visual.testAcc,
    m.rho,
    m.mix,
    m.coefficients?.audio,
    m.coefficients?.visual,
    m.lr,
    m.samplesPerSec,
    m.seconds,
  ]
    .map(cell)
    .join(',');
}

/** Per-epoch metrics as CSV with a header row; accuracies are fractions in [0, 1]; empty cell = not applicable. */
export function metricsToCsv(epochs: readonly EpochMetrics[]): string {
  return [METRICS_CSV_COLUMNS.join(','), ...epochs.map(csvRow)].join('\n') + '\n';
}

export const METRICS_JSON_FORMAT = 'bmm-lab-metrics';
export const METRICS_JSON_VERSION = 1;

/** The run's config, dataset and every epoch's metrics (confusion matrices included) as pretty JSON. */
export function metricsToJson(run: RunRecord): string {
  return JSON.stringify(
    {
      format: METRICS_JSON_FORMAT,
      version: METRICS_JSON_VERSION,
      id: run.id,
      createdAt: new Date(run.createdAt).toISOString(),
      status: run.status,
      backend: run.backend,
      dataset: { name: run.datasetName, classNames: run.classNames, trainSize: run.trainSize, testSize: run.testSize },
      config: run.config,
      epochs: run.epochs,
      summary: run.summary,
    },
    null,
    2,
  );
}

/** A file-name stem for a run's exports: "bmm-lab_bmm-concat-seed0_2024-05-01T12-00-00". */
export function exportStem(run: Pick<RunRecord, 'config' | 'createdAt'>): string {
  const when = new Date(run.createdAt).toISOString().slice(0, 19).replace(/:/g, '-');
  return `bmm-lab_${run.config.method}-${run.config.fusion}-seed${run.config.seed}_${when}`;
}
