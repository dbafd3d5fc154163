/**
 * A run as the lab keeps it (in memory and in IndexedDB): its config, dataset, per-epoch metrics, per-batch
 * curve, and what has been saved beside it. Plain data, structured-clonable.
 */
import type { TrainConfig } from '../core/config';
import type { EpochMetrics, RunSummary } from '../core/events';
import { soloMethodLabel, type ModalityPair } from '../core/modalities';
import { runModalities } from '../core/runGroups';
import type { BatchPoint } from './chartData';
import { METHOD_LABELS } from './configFields';

export type RunStatus = 'running' | 'paused' | 'stopped' | 'done' | 'error';

export interface RunRecord {
  id: string;
  /** Milliseconds since 1970. */
  createdAt: number;
  updatedAt: number;
  config: TrainConfig;
  /** The lab's dataset entry id (to train the same data again) and the dataset's own name. */
  datasetId: string;
  datasetName: string;
  classNames: string[];
  trainSize: number;
  testSize: number;
  /** The dataset's branch kinds (first, second; `modalities.ts`); absent in runs stored or exported before branch
   * kinds, which were a spectrogram and RGB frames: read it with `runModalities`. */
  modalities?: ModalityPair;
  /** Backend actually used, as the worker reported it. */
  backend: string | null;
  status: RunStatus;
  epochs: EpochMetrics[];
  /** Per-batch curve; complete in memory for the live run, compacted when stored. */
  batches: BatchPoint[];
  summary: RunSummary | null;
  /** Epoch of the latest saved checkpoint; null when none is stored. */
  checkpointEpoch: number | null;
  /** Epochs whose UMAP embeddings are stored. */
  embeddingEpochs: number[];
  error: string | null;
  /** Where the run came from: trained in the lab (absent in runs stored before imports existed), by the PyTorch
   * trainer (an imported folder), or a weights file imported on its own (`weights`: evaluated, not trained, here). */
  source?: 'lab' | 'pytorch' | 'weights';
  /** For an imported run: the folder it came from. */
  importedFrom?: string;
  /** Whether its final weights are stored (to open them for the maps and the matrices): an imported run with weights, or
   * a sweep's audio-only or visual-only run (kept as a UMT teacher). */
  weightsStored?: boolean;
  /** The run's colour in every view (`palette.ts`), given when it joins the lab; absent in runs stored before. */
  colorIndex?: number;
  /** The researcher's name for the run (replaces the generated label where set), tags and a free note. */
  name?: string;
  tags?: string[];
  note?: string;
}

/** What the researcher can write on a run. */
export type RunAnnotation = Pick<RunRecord, 'name' | 'tags' | 'note'>;

/** "a, b ,, c" -> ["a", "b", "c"]: tags as typed, trimmed, without empties or repeats. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(',').map((t) => t.trim()).filter((t) => t !== ''))];
}

/** What a new run is made of (its pair always: only old records lack one); everything it accumulates later starts empty. */
export type NewRunFields = Pick<RunRecord, 'id' | 'config' | 'datasetId' | 'datasetName' | 'classNames' | 'trainSize' | 'testSize' | 'backend'> & { modalities: ModalityPair };

/** A run record at its start: no epochs, batches, summary, checkpoint or maps yet. */
export function newRunRecord(fields: NewRunFields, now: number): RunRecord {
  return { ...fields, createdAt: now, updatedAt: now, status: 'running', epochs: [], batches: [], summary: null, checkpointEpoch: null, embeddingEpochs: [], error: null };
}

/** A run's pair of branch kinds; a run recorded before branch kinds (none stored) was audio + RGB. */
export { runModalities };

/**
 * How the page names a method on a run of `pair`: the settings' label, except that a method named after a branch
 * takes the branch's kind ("RGB only" for `audio-only` on RGB + flow); null pair (runs of several pairs): "First
 * branch only".
 */
export function methodLabel(method: string, pair: ModalityPair | null): string {
  return soloMethodLabel(method, pair) ?? METHOD_LABELS[method] ?? method;
}

/** Short description of a run's setup for tables and legends: "B-MM concat fast 15ep seed 0" ("RGB only …" by the pair). */
export function runLabel(config: TrainConfig, pair: ModalityPair | null): string {
  return `${methodLabel(config.method, pair)} ${config.fusion} ${config.preset} ${config.epochs}ep seed ${config.seed}`;
}

/** A group of runs that differ only in the seed, as its label without the seed: "B-MM concat fast 15ep". */
export function groupLabel(config: TrainConfig, pair: ModalityPair | null): string {
  return runLabel(config, pair).replace(/ seed -?\d+$/, '');
}

/** The run as the lab names it: the researcher's name where given, else its generated label. */
export function runName(run: Pick<RunRecord, 'config' | 'name' | 'modalities'>): string {
  return run.name && run.name.trim() ? run.name.trim() : runLabel(run.config, runModalities(run));
}

/** Whether training can continue from the stored checkpoint. */
export function canContinue(run: RunRecord): boolean {
  return run.checkpointEpoch !== null && run.checkpointEpoch < run.config.epochs && run.status !== 'running';
}
