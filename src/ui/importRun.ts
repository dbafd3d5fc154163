/**
 * "Import run": a trainer's output folder (`python -m bmm_lab.train --out DIR`, or `bmm-lab train` with an output
 * folder) read back into a run record, so PyTorch runs sit beside the browser's in the runs list, the charts and
 * the across-seeds table. The folder holds:
 * - `metrics.jsonl` (required): one JSON object per epoch, as `bmm-lab train --json` prints them (epoch, loss,
 *   trainAcc, testAcc, audio/visual {trainAcc, testAcc}, rho, mix, samplesPerSec, seconds; optionally lr,
 *   coefficients and confusion {fused, audio, visual}), and optionally a last `{"summary": {...}}` line;
 * - `config.json` or `run.json` (the run-config document; else the summary's config);
 * - `model.safetensors` (optional): the final weights, which the lab can open for the maps and the matrices.
 * Anything else in the folder (checkpoints, logs) is ignored. Problems are reported with the file, line and field.
 *
 * The run's branch kinds: the summary's `modalities` (a JSON pair such as ["rgb","flow"], as `bmm-lab train --json`
 * writes it), else the weights' metadata (`modalities`, or a spectrogram and RGB or flow by its visual_shape), else
 * audio + RGB (what every run was before branch kinds).
 */
import type { TrainConfig } from '../core/config';
import type { ConfusionMatrix, EpochMetrics } from '../core/events';
import { AUDIO_RGB, MODALITY_PAIRS, supportedPair, type ModalityPair } from '../core/modalities';
import { readRunConfig } from '../core/settingsDocument';
import { weightsFacts } from './importedWeights';
import { newRunRecord, type RunRecord } from './run';

export interface FolderFile {
  /** Path inside the folder, e.g. "run-0/metrics.jsonl" (the folder's own name first, as the browser gives it). */
  path: string;
  text(): Promise<string>;
  bytes(): Promise<Uint8Array>;
}

export interface ImportedRun {
  run: RunRecord;
  /** The final weights, when the folder has them. */
  weights: Uint8Array | null;
}

export class ImportError extends Error {}

const baseName = (path: string) => path.split('/').pop() ?? path;

function num(obj: Record<string, unknown>, key: string, where: string, optional = false): number {
  const v = obj[key];
  if (v === undefined && optional) return Number.NaN;
  if (v === null && optional) return Number.NaN;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    if (v === null && key === 'rho') return Number.NaN;
    throw new ImportError(`${where}: "${key}" must be a number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function split(obj: Record<string, unknown>, key: string, where: string): { trainAcc: number; testAcc: number } {
  const v = obj[key];
  if (v === null || typeof v !== 'object') throw new ImportError(`${where}: "${key}" must be an object {trainAcc, testAcc}`);
  const o = v as Record<string, unknown>;
  return { trainAcc: num(o, 'trainAcc', `${where} ${key}`), testAcc: num(o, 'testAcc', `${where} ${key}`) };
}

function matrix(v: unknown, classes: number, where: string): ConfusionMatrix {
  if (!Array.isArray(v) || v.length !== classes || v.some((row) => !Array.isArray(row) || row.length !== classes || row.some((x) => typeof x !== 'number'))) {
    throw new ImportError(`${where}: a confusion matrix must be ${classes} x ${classes} numbers`);
  }
  return v as ConfusionMatrix;
}

/** One metrics line as the lab's epoch metrics; confusion matrices are empty when the line has none. */
export function epochFromJson(obj: Record<string, unknown>, config: TrainConfig, classes: number, where: string): EpochMetrics {
  const epoch = num(obj, 'epoch', where);
  if (!Number.isInteger(epoch) || epoch < 1) throw new ImportError(`${where}: "epoch" must be an integer >= 1, got ${epoch}`);
  const mix = obj.mix === null || obj.mix === undefined ? null : num(obj, 'mix', where);
  const c = obj.confusion as Record<string, unknown> | undefined | null;
  const confusion = c
    ? { fused: matrix(c.fused, classes, `${where} confusion.fused`), audio: matrix(c.audio, classes, `${where} confusion.audio`), visual: matrix(c.visual, classes, `${where} confusion.visual`) }
    : { fused: [], audio: [], visual: [] };
  const coef = obj.coefficients as Record<string, unknown> | undefined | null;
  const lr = num(obj, 'lr', where, true);
  return {
    epoch,
    loss: num(obj, 'loss', where),
    trainAcc: num(obj, 'trainAcc', where),
    testAcc: num(obj, 'testAcc', where),
    audio: split(obj, 'audio', where),
    visual: split(obj, 'visual', where),
    rho: num(obj, 'rho', where),
    mix,
    ...(coef ? { coefficients: { audio: num(coef, 'audio', `${where} coefficients`), visual: num(coef, 'visual', `${where} coefficients`) } } : {}),
    lr: Number.isNaN(lr) ? config.lr : lr,
    samplesPerSec: num(obj, 'samplesPerSec', where, true),
    seconds: num(obj, 'seconds', where, true),
    confusion,
  };
}

interface Parsed {
  epochs: Record<string, unknown>[];
  summary: Record<string, unknown> | null;
}

function parseMetrics(text: string, file: string): Parsed {
  const epochs: Record<string, unknown>[] = [];
  let summary: Record<string, unknown> | null = null;
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw new ImportError(`${file} line ${i + 1}: not JSON`);
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new ImportError(`${file} line ${i + 1}: expected a JSON object`);
    const o = obj as Record<string, unknown>;
    if ('summary' in o) summary = o.summary as Record<string, unknown>;
    else epochs.push({ ...o, __line: i + 1 });
  });
  if (epochs.length === 0) throw new ImportError(`${file}: no epoch lines (expected one JSON object per epoch, as bmm-lab train --json prints)`);
  return { epochs, summary };
}

/** The run's pair: the summary's, else the weights', else audio + RGB; a summary pair the lab does not train is refused. */
function runPair(summary: Record<string, unknown>, weights: Uint8Array | null, where: string): ModalityPair {
  if (summary.modalities !== undefined && summary.modalities !== null) {
    const pair = Array.isArray(summary.modalities) ? supportedPair(summary.modalities) : null;
    if (!pair) throw new ImportError(`${where}: "modalities" must be one of ${MODALITY_PAIRS.map((p) => JSON.stringify(p)).join(', ')}, got ${JSON.stringify(summary.modalities)}`);
    return pair;
  }
  return (weights && weightsFacts(weights)?.modalities) || AUDIO_RGB;
}

/**
 * Reads a trainer's output folder into a run record (status "done" when every configured epoch is there, else
 * "stopped"), with `source: "pytorch"` unless the summary names a lab backend.
 */
export async function importRunFolder(files: readonly FolderFile[], options: { id: string; now: number; datasetId?: string }): Promise<ImportedRun> {
  const byName = new Map<string, FolderFile>();
  // The shallowest file of each name wins (a folder may hold sub-runs; the picked folder's own files come first).
  for (const f of [...files].sort((a, b) => a.path.split('/').length - b.path.split('/').length)) {
    const name = baseName(f.path);
    if (!byName.has(name)) byName.set(name, f);
  }
  const metricsFile = byName.get('metrics.jsonl');
  if (!metricsFile) throw new ImportError('the folder has no metrics.jsonl (a trainer output folder holds metrics.jsonl, config.json and model.safetensors)');
  const parsed = parseMetrics(await metricsFile.text(), metricsFile.path);

  const configFile = byName.get('config.json') ?? byName.get('run.json');
  let config: TrainConfig;
  if (configFile) config = readRunConfig(await configFile.text(), configFile.path);
  else if (parsed.summary?.config) config = readRunConfig(JSON.stringify(parsed.summary.config), `${metricsFile.path} summary`);
  else throw new ImportError('the folder has no config.json or run.json, and metrics.jsonl has no summary with the config');

  const summary = parsed.summary ?? {};
  const classNames = Array.isArray(summary.classNames) ? (summary.classNames as unknown[]).map(String) : [];
  const firstConfusion = (parsed.epochs.find((e) => e.confusion) as { confusion?: { fused?: unknown[] } } | undefined)?.confusion?.fused;
  const classes = classNames.length || (Array.isArray(firstConfusion) ? firstConfusion.length : 0);
  const epochs = parsed.epochs
    .map((e) => epochFromJson(e, config, classes, `${metricsFile.path} line ${String(e.__line)}`))
    .sort((a, b) => a.epoch - b.epoch);
  epochs.forEach((e, i) => {
    if (i > 0 && e.epoch === epochs[i - 1].epoch) throw new ImportError(`${metricsFile.path}: epoch ${e.epoch} appears twice`);
  });

  const weightsFile = byName.get('model.safetensors');
  const weights = weightsFile ? await weightsFile.bytes() : null;
  const datasetName = typeof summary.dataset === 'string' ? summary.dataset : 'imported';
  const backend = typeof summary.backend === 'string' ? summary.backend : 'pytorch';
  const last = epochs[epochs.length - 1].epoch;
  const folder = metricsFile.path.includes('/') ? metricsFile.path.split('/').slice(0, -1).join('/') : '';
  const run: RunRecord = {
    ...newRunRecord(
      { id: options.id, config, datasetId: options.datasetId ?? '', datasetName, classNames, trainSize: 0, testSize: 0, modalities: runPair(summary, weights, `${metricsFile.path} summary`), backend },
      options.now,
    ),
    status: last >= config.epochs ? 'done' : 'stopped',
    epochs,
    source: ['webgpu', 'wasm', 'cpu'].includes(backend) ? 'lab' : 'pytorch',
    importedFrom: folder || metricsFile.path,
    weightsStored: false,
  };
  return { run, weights };
}
