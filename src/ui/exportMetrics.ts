/**
 * What the lab exports about runs, and the one pattern of every exported file's name,
 * `bmm-lab_<run-label>_<what>.<ext>`: a run's metrics as CSV (one row per epoch, several runs in one file) and JSON
 * (config, dataset, every epoch), its UMAP coordinates per epoch as CSV, its config, the charts as SVG and PNG.
 *
 * Branch names in the exports. Machine-readable keys stay as they were whatever the run's kinds: `audio_*` and
 * `visual_*` columns, `s_a`/`s_v`, `coef_audio`/`coef_visual`, the JSON's `audio`/`visual` and the values `audio` /
 * `visual` of `strong_modality` and `mixed_modality` are the first and the second branch (as in the code and in
 * stored runs), so a script written for audio + RGB runs reads RGB + flow ones. What they are travels with them: the
 * CSVs' last column `modalities` (`audio+rgb`, `audio+flow`, `rgb+flow`, the names `--modalities` takes; last, so
 * the older columns keep their places) and the JSON's `dataset.modalities` (the kinds, e.g. ["rgb", "flow"], as the
 * weights' metadata and packs write them; a run recorded before branch kinds is audio + RGB). What a person reads
 * uses the kinds' names: `run_label` ("RGB only …" for `audio-only` on RGB + flow), the file names, the charts.
 */
import type { EpochMetrics } from '../core/events';
import { pairName, type ModalityPair } from '../core/modalities';
import type { Embedding } from '../worker/protocol';
import { mixedModalities } from './chartData';
import { classLabels } from './confusion';
import { runModalities, runName, type RunRecord } from './run';

/** The run's columns first (so the rows of several runs tell them apart), then the epoch's. */
export const METRICS_CSV_COLUMNS = [
  'run_id',
  'run_label',
  'method',
  'fusion',
  'preset',
  'seed',
  'epoch',
  'loss',
  'train_acc',
  'test_acc',
  'audio_train_acc',
  'audio_test_acc',
  'visual_train_acc',
  'visual_test_acc',
  'rho',
  's_a',
  's_v',
  'strong_modality',
  'mixed_modality',
  'mix',
  'coef_audio',
  'coef_visual',
  'lr',
  'samples_per_sec',
  'seconds',
  'modalities',
] as const;

/** A CSV cell: numbers as they are, text quoted when it holds a comma, quote or line break; empty = not applicable. */
function cell(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isNaN(value) ? '' : String(value);
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

type MetricsRun = Pick<RunRecord, 'id' | 'config' | 'epochs' | 'name' | 'modalities'>;

function csvRows(run: MetricsRun): string[] {
  const label = runName(run);
  const pair = pairName(runModalities(run));
  const mixed = mixedModalities(run.config, run.epochs);
  return run.epochs.map((m: EpochMetrics, i) =>
    [
      run.id,
      label,
      run.config.method,
      run.config.fusion,
      run.config.preset,
      run.config.seed,
      m.epoch,
      m.loss,
      m.trainAcc,
      m.testAcc,
      m.audio.trainAcc,
      m.audio.testAcc,
      m.visual.trainAcc,
      m.visual.testAcc,
      m.rho,
      m.scores?.audio,
      m.scores?.visual,
      Number.isFinite(m.rho) && m.rho !== 1 ? (m.rho > 1 ? 'audio' : 'visual') : '',
      mixed[i],
      m.mix,
      m.coefficients?.audio,
      m.coefficients?.visual,
      m.lr,
      m.samplesPerSec,
      m.seconds,
      pair,
    ]
      .map(cell)
      .join(','),
  );
}

/**
 * Per-epoch metrics of one or several runs as one CSV with a header row (`METRICS_CSV_COLUMNS`): accuracies are
 * fractions in [0, 1]; `strong_modality` is the branch rho says is stronger, `mixed_modality` the one B-MM mixed in
 * that epoch (`mixedModalities`), `audio` / `visual` for the first / second, which `modalities` names per row (runs
 * of several pairs can share a file); an empty cell is a value that does not apply (ERM has no mix, old runs no s_a).
 */
export function metricsToCsv(runs: readonly MetricsRun[]): string {
  return [METRICS_CSV_COLUMNS.join(','), ...runs.flatMap(csvRows)].join('\n') + '\n';
}

export const METRICS_JSON_FORMAT = 'bmm-lab-metrics';
export const METRICS_JSON_VERSION = 1;

/** The run's config, dataset (with its branch kinds) and every epoch's metrics (confusion matrices included) as pretty JSON. */
export function metricsToJson(run: RunRecord): string {
  return JSON.stringify(
    {
      format: METRICS_JSON_FORMAT,
      version: METRICS_JSON_VERSION,
      id: run.id,
      createdAt: new Date(run.createdAt).toISOString(),
      status: run.status,
      backend: run.backend,
      dataset: { name: run.datasetName, classNames: run.classNames, trainSize: run.trainSize, testSize: run.testSize, modalities: runModalities(run) },
      config: run.config,
      epochs: run.epochs,
      summary: run.summary,
    },
    null,
    2,
  );
}

export const UMAP_CSV_COLUMNS = ['epoch', 'clip', 'split', 'label', 'class', 'audio_x', 'audio_y', 'visual_x', 'visual_y', 'fused_x', 'fused_y', 'modalities'] as const;

/**
 * The UMAP coordinates of a run as CSV, one row per clip and epoch (epochs in order): `clip` the clip's place in the
 * feature sample, `split` train or test, `label` the class index and `class` its name, then x and y of the first
 * branch's (`audio_*`), the second's (`visual_*`) and the fused map, and the run's `modalities` (`rgb+flow`).
 */
export function umapToCsv(embeddings: readonly Embedding[], classNames: readonly string[], modalities: ModalityPair): string {
  const pair = pairName(modalities);
  const rows: string[] = [UMAP_CSV_COLUMNS.join(',')];
  for (const e of [...embeddings].sort((a, b) => a.epoch - b.epoch)) {
    let classes = classNames.length;
    for (const label of e.labels) classes = Math.max(classes, label + 1);
    const names = classLabels([...classNames], classes);
    for (let i = 0; i < e.labels.length; i++) {
      rows.push(
        [e.epoch, i, e.split[i] === 1 ? 'test' : 'train', e.labels[i], names[e.labels[i]], e.audio[2 * i], e.audio[2 * i + 1], e.visual[2 * i], e.visual[2 * i + 1], e.fused[2 * i], e.fused[2 * i + 1], pair]
          .map(cell)
          .join(','),
      );
    }
  }
  return rows.join('\n') + '\n';
}

/** Lower-case letters, digits and single hyphens: "B-MM concat fast seed 0" -> "b-mm-concat-fast-seed-0". */
export function fileSlug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'run'
  );
}

/**
 * A run's label in file names: its name as the runs table shows it (the researcher's, else method, fusion, preset,
 * epochs and seed) and when it was created (UTC), so two runs of the same settings get different files:
 * "b-mm-concat-fast-15ep-seed-0-20240501-120000".
 */
export function runFileLabel(run: Pick<RunRecord, 'config' | 'createdAt' | 'name' | 'modalities'>): string {
  const when = new Date(run.createdAt).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return `${fileSlug(runName(run))}-${when}`;
}

/** The label of files about several runs at once: "3-runs". */
export function runsFileLabel(count: number): string {
  return `${count}-runs`;
}

/** The one file-name pattern of the lab's exports: `bmm-lab_<run-label>_<what>.<ext>`. */
export function exportFileName(label: string, what: string, ext: string): string {
  return `bmm-lab_${label}_${fileSlug(what)}.${ext}`;
}

/** A run's export file name: `bmm-lab_<run-label>_<what>.<ext>`. */
export function runFileName(run: Pick<RunRecord, 'config' | 'createdAt' | 'name' | 'modalities'>, what: string, ext: string): string {
  return exportFileName(runFileLabel(run), what, ext);
}

/** The metrics CSV of one run or several: its file name and contents. */
export function metricsCsvFile(runs: readonly RunRecord[]): { name: string; blob: Blob } {
  const label = runs.length === 1 ? runFileLabel(runs[0]) : runsFileLabel(runs.length);
  return { name: exportFileName(label, 'metrics', 'csv'), blob: new Blob([metricsToCsv(runs)], { type: 'text/csv' }) };
}

/** The metrics JSON of a run: its file name and contents. */
export function metricsJsonFile(run: RunRecord): { name: string; blob: Blob } {
  return { name: runFileName(run, 'metrics', 'json'), blob: new Blob([metricsToJson(run)], { type: 'application/json' }) };
}

/**
 * The name a file exported by the training worker is saved under: the weights' `.safetensors` as
 * `bmm-lab_<run-label>_weights-epoch<N>.safetensors` when the run is known; TF.js's `model.json` and `weights.bin`
 * keep their names (model.json names weights.bin).
 */
export function exportedFileName(run: Pick<RunRecord, 'config' | 'createdAt' | 'name' | 'modalities'> | undefined, filename: string): string {
  if (!run || !filename.endsWith('.safetensors')) return filename;
  const epoch = /epoch(\d+)/.exec(filename)?.[1];
  return runFileName(run, epoch ? `weights-epoch${epoch}` : 'weights', 'safetensors');
}

/** The UMAP coordinates of every epoch of a run that has maps, as one CSV: its file name and contents. */
export function umapCsvFile(run: Pick<RunRecord, 'config' | 'createdAt' | 'name' | 'classNames' | 'modalities'>, embeddings: Readonly<Record<number, Embedding>>): { name: string; blob: Blob } {
  return { name: runFileName(run, 'umap', 'csv'), blob: new Blob([umapToCsv(Object.values(embeddings), run.classNames, runModalities(run))], { type: 'text/csv' }) };
}
