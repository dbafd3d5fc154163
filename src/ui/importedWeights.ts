/**
 * A .safetensors file imported into the lab becomes a run: what its metadata says it was trained at (preset, width,
 * input sizes, method, fusion, branch kinds), how that differs from the form's settings it is evaluated under, the
 * run record made from its evaluation (one entry, epoch 0: "as imported"), and the notice that names the data it
 * was evaluated on. The run's pair is the metadata's `modalities` (a file written before branch kinds: a spectrogram
 * and RGB or flow by visual_shape's channels, as `parseWeightsMetadata` reads it); a file without metadata (a plain
 * PyTorch state_dict) loaded into the dataset's model has the dataset's pair.
 */
import { FUSIONS, METHODS, type MethodName, type TrainConfig } from '../core/config';
import type { EpochMetrics, EvaluationReport } from '../core/events';
import { branchLabel, legacyPair, strongerText, supportedPair, type ModalityPair } from '../core/modalities';
import { parseSafetensorsHeader } from '../core/safetensors';
import type { DatasetInfo } from '../worker/protocol';
import { newRunRecord, type RunRecord } from './run';

/** What a lab-exported file's metadata says; absent fields were not in it (a plain PyTorch state_dict has none). */
export interface WeightsFacts {
  method?: string;
  fusion?: string;
  preset?: string;
  width?: number;
  /** [C, H, W] */
  audioShape?: number[];
  /** [C, T, H, W] */
  visualShape?: number[];
  classNames?: string[];
  /** The branch kinds the weights were trained on. */
  modalities?: ModalityPair;
}

function json<T>(raw: string | undefined): T | undefined {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}

/** The file's metadata, read from its header only; null when the header cannot be read (the worker says why). */
export function weightsFacts(bytes: Uint8Array): WeightsFacts | null {
  let metadata: Record<string, string>;
  try {
    metadata = parseSafetensorsHeader(bytes).metadata;
  } catch {
    return null;
  }
  const width = metadata.width !== undefined ? Number(metadata.width) : undefined;
  const visualShape = json<number[]>(metadata.visual_shape);
  const listed = json<unknown>(metadata.modalities);
  const modalities =
    metadata.modalities !== undefined
      ? (Array.isArray(listed) && supportedPair(listed)) || undefined
      : Array.isArray(visualShape) && metadata.audio_shape !== undefined
        ? legacyPair(visualShape[0])
        : undefined;
  return {
    method: metadata.method,
    fusion: metadata.fusion,
    preset: metadata.preset,
    width: width !== undefined && Number.isFinite(width) ? width : undefined,
    audioShape: json<number[]>(metadata.audio_shape),
    visualShape,
    classNames: json<string[]>(metadata.class_names),
    modalities,
  };
}

/** How the file's training setup differs from the settings it is evaluated under, in words (empty: it does not). */
export function importMismatches(facts: WeightsFacts, config: TrainConfig): string[] {
  const out: string[] = [];
  if (facts.preset && facts.preset !== config.preset) out.push(`it was trained at preset ${facts.preset}, the form says ${config.preset}`);
  const a = facts.audioShape;
  if (a && a.length === 3 && (a[1] !== config.audioHeight || a[2] !== config.audioWidth)) {
    out.push(`its spectrogram input was ${a[1]} x ${a[2]}, the form's is ${config.audioHeight} x ${config.audioWidth}`);
  }
  const v = facts.visualShape;
  if (v && v.length === 4 && (v[2] !== config.visualSize || v[1] !== config.frames)) {
    out.push(`its frames were ${v[2]} px x ${v[1]}, the form's are ${config.visualSize} px x ${config.frames}`);
  }
  return out;
}

/** The config an imported file's run is recorded under: the session's, with the file's method and fusion. */
export function importedConfig(facts: WeightsFacts | null, config: TrainConfig): TrainConfig {
  const method = facts?.method && (METHODS as readonly string[]).includes(facts.method) ? (facts.method as MethodName) : config.method;
  const fusion = facts?.fusion && (FUSIONS as readonly string[]).includes(facts.fusion) ? (facts.fusion as TrainConfig['fusion']) : config.fusion;
  return { ...config, method, fusion };
}

/** The pair of an imported file's run: its metadata's, else (no metadata) the dataset's it was loaded for. */
export function importedModalities(facts: WeightsFacts | null, dataset: Pick<DatasetInfo, 'modalities'>): ModalityPair {
  return facts?.modalities ?? dataset.modalities;
}

/** One epoch entry (epoch 0) from an evaluation of imported weights. */
export function evaluationEpoch(e: EvaluationReport, lr: number): EpochMetrics {
  return {
    epoch: 0,
    loss: Number.NaN,
    trainAcc: e.fused.trainAcc,
    testAcc: e.fused.testAcc,
    audio: e.audio,
    visual: e.visual,
    rho: e.rho,
    mix: null,
    lr,
    samplesPerSec: 0,
    seconds: 0,
    confusion: e.confusion,
  };
}

/** The run of an imported file: done, marked `source: 'weights'`, named after the file, with its evaluation. */
export function importedRunRecord(
  fields: { id: string; filename: string; config: TrainConfig; datasetId: string; dataset: DatasetInfo; modalities: ModalityPair; backend: string | null; evaluation: EvaluationReport },
  now: number,
): RunRecord {
  const base = newRunRecord(
    {
      id: fields.id,
      config: fields.config,
      datasetId: fields.datasetId,
      datasetName: fields.dataset.name,
      classNames: fields.dataset.classNames,
      trainSize: fields.dataset.trainSize,
      testSize: fields.dataset.testSize,
      modalities: fields.modalities,
      backend: fields.backend,
    },
    now,
  );
  return {
    ...base,
    status: 'done',
    source: 'weights',
    importedFrom: fields.filename,
    name: fields.filename.replace(/\.safetensors$/i, ''),
    weightsStored: true,
    epochs: [evaluationEpoch(fields.evaluation, fields.config.lr)],
  };
}

/** The notice after an import: what was loaded, the data and splits it was evaluated on, what differs. */
export function importNotice(filename: string, tensors: number, e: EvaluationReport, dataset: DatasetInfo | null, config: TrainConfig, mismatches: string[]): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const data = dataset
    ? `${dataset.name === 'demo' ? `the demo dataset generated with seed ${config.seed}` : `dataset "${dataset.name}"`}: test accuracy over its test split (${dataset.testSize} clips), rho over its training split (${dataset.trainSize} clips)`
    : 'the selected dataset';
  const warn = mismatches.length ? ` Note: ${mismatches.join('; ')}; the accuracies are of the weights at the form's input sizes.` : '';
  // The weights were loaded into the dataset's model, so its pair names the branches (unknown without a dataset).
  const pair = dataset?.modalities ?? null;
  const heads = `${branchLabel(pair, 'audio')} ${pct(e.audio.testAcc)}, ${branchLabel(pair, 'visual')} ${pct(e.visual.testAcc)}`;
  return `Loaded ${tensors} tensors from ${filename}, evaluated on ${data}. Test accuracy ${pct(e.fused.testAcc)} (${heads}), rho ${e.rho.toFixed(2)} (${strongerText(pair, e.rho)}). It is in the runs list; Train continues from these weights.${warn}`;
}
