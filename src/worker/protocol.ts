/**
 * Every message between the page and its two workers (training and UMAP), as discriminated unions.
 * This file is the single source of truth: the page, the workers and the tests import these types, and each
 * side handles them with an exhaustive `switch` ending in `assertNever`.
 *
 * Training worker, the order the page relies on:
 *   page -> `init` ; worker -> `backend`, `dataset`, `state: idle`   (or `error` then `state: error`)
 *   page -> `start` | `step` ; worker -> `state: running`, then `event`s (batch, epoch, features ...)
 *   `step` runs one epoch, then worker -> `state: paused`; `pause` -> `state: paused`; `resume` -> `state: running`
 *   `stop` -> `state: stopped`; the last epoch -> `event {done}` then `state: done`
 *   with `init.checkpointEvery = k > 0`, the worker posts `checkpoint` after every k-th completed epoch (before
 *   that epoch's `epoch` event or after it, either is fine); a `checkpoint` request is answered at the next point
 *   between epochs (at once when not running); `checkpoint.epoch` = epochs completed in it
 *   `export` -> `exported` (any time after init; while running, at the next batch boundary); a format made of
 *   several files (TF.js: model.json + weights.bin) is sent as one `exported` per file
 *   `init` may be sent again when the state is idle, paused, stopped, done or error: it replaces the session.
 *   `estimate` (idle only) -> `estimate`; it changes nothing in the session
 *   `importWeights` (not while running) -> `event {features}` (when enabled), then `imported`, or `importFailed`; training
 *   after it continues from the imported weights.
 */
import type { TrainConfig } from '../core/config';
import type { DatasetShape } from '../core/dataset';
import type { FrameKind, ModalityPair } from '../core/modalities';
import type { EvaluationReport, FeatureSnapshot, SessionEvent, StepEstimate } from '../core/events';
import type { ExportFormat, TeacherFile, TrainState } from '../core/session';
import type { DemoOptions } from '../data/demo';

export type { ExportFormat, TrainState } from '../core/session';

/**
 * A training checkpoint as the page sees it: an opaque, structured-clonable plain object that the page stores
 * in IndexedDB and hands back in `init.resume`. Its shape belongs to src/core/checkpoint.ts.
 */
export type CheckpointData = unknown;

/** Options of the built-in synthetic demo dataset (absent ones follow the config: `demoOptionsFor`). */
export type DemoDatasetOptions = Partial<DemoOptions>;

/** One split of a dataset packed into flat transferable buffers (see `datasetTransfer.ts`). */
/** One frame kind of a split: every clip's frames back to back. */
export interface TransferFrames {
  /** uint8 [sum_i counts[i], frameSize * frameSize * channels]. */
  data: Uint8Array;
  /** Frames stored per clip (>= 1). */
  counts: Int32Array;
}

export interface TransferSplit {
  labels: Int32Array;
  /** Spectrograms, float32 [n, audioHeight * audioWidth], row-major (H = frequency); empty without a spectrogram. */
  audio: Float32Array;
  /** The frames of each frame kind the dataset's modalities name. */
  frames: Partial<Record<FrameKind, TransferFrames>>;
}

/** A dataset decoded on the page (e.g. from a folder), packed for `postMessage`. */
export interface TransferDataset extends DatasetShape {
  train: TransferSplit;
  test: TransferSplit;
}

export type DatasetSource =
  | { kind: 'demo'; options?: DemoDatasetOptions }
  | ({ kind: 'transfer' } & TransferDataset)
  /** Keep the dataset the worker already holds (from the previous `init`); avoids copying a large dataset again. */
  | { kind: 'current' };

/** What the worker reports about the dataset it loaded. */
export interface DatasetInfo {
  name: string;
  classNames: string[];
  trainSize: number;
  testSize: number;
  /** The dataset's branch kinds (first, second): what the page calls the branches of runs on it. */
  modalities: ModalityPair;
}


/** Page -> training worker. */
export type TrainIn =
  /** `resume`: continue from a checkpoint; `checkpointEvery`: post a checkpoint every k epochs (0 or absent: never). */
  | { type: 'init'; config: TrainConfig; dataset: DatasetSource; resume?: CheckpointData; checkpointEvery?: number; teachers?: { audio: TeacherFile; visual: TeacherFile } }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  /** Train one epoch, then pause. */
  | { type: 'step' }
  /** Time one training and one evaluation batch of the session's config (only when idle) -> `estimate`. */
  | { type: 'estimate' }
  | { type: 'export'; format: ExportFormat }
  | { type: 'checkpoint' }
  /** Load a .safetensors (the lab's export or a PyTorch state_dict with the same names) into the session's model. */
  | { type: 'importWeights'; filename: string; bytes: ArrayBuffer };

/** Training worker -> page. */
export type TrainOut =
  /** The backend in use and why, e.g. "WebGPU not available: navigator.gpu missing; using wasm". */
  | { type: 'backend'; name: string; reason: string }
  | { type: 'dataset'; info: DatasetInfo }
  /** The timed step, or why it could not be timed (`estimate` null). */
  | { type: 'estimate'; estimate: StepEstimate | null; message?: string }
  | { type: 'event'; event: SessionEvent }
  | { type: 'checkpoint'; checkpoint: CheckpointData; epoch: number }
  | { type: 'exported'; filename: string; bytes: ArrayBuffer }
  | { type: 'state'; state: TrainState }
  /** Weights loaded (checked against the model) and evaluated; a `features` event for the maps precedes it. */
  | { type: 'imported'; filename: string; tensors: number; evaluation: EvaluationReport }
  /** The file was refused (malformed, or names/shapes/dtypes that do not fit the model: the first mismatch named). */
  | { type: 'importFailed'; filename: string; message: string }
  | { type: 'error'; message: string };

/** Page -> UMAP worker: embed one feature snapshot; `key` identifies it in the reply. */
export type UmapIn = { type: 'embed'; key: string; seed: number; features: FeatureSnapshot };

/** 2-D coordinates of the three feature sets of one snapshot, row-major [n, 2]. */
export interface Embedding {
  epoch: number;
  labels: Int32Array;
  /** 0 = train clip, 1 = test clip. */
  split: Uint8Array;
  audio: Float32Array;
  visual: Float32Array;
  fused: Float32Array;
}

/** UMAP worker -> page. */
export type UmapOut =
  | { type: 'embedding'; key: string; embedding: Embedding; seconds: number }
  | { type: 'error'; key: string; message: string };

/** For the `default` branch of an exhaustive switch: a compile error when a case is missing. */
export function assertNever(value: never, what = 'message'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}

/** The buffers of a feature snapshot, to transfer instead of copy. */
export function snapshotTransferables(features: FeatureSnapshot): ArrayBuffer[] {
  const buffers = [features.audio.buffer, features.visual.buffer, features.fused.buffer, features.labels.buffer, features.split.buffer];
  return uniqueArrayBuffers(buffers);
}

/** The buffers of an embedding, to transfer instead of copy. */
export function embeddingTransferables(embedding: Embedding): ArrayBuffer[] {
  return uniqueArrayBuffers([embedding.audio.buffer, embedding.visual.buffer, embedding.fused.buffer, embedding.labels.buffer, embedding.split.buffer]);
}

function uniqueArrayBuffers(buffers: ArrayBufferLike[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const b of buffers) {
    if (b instanceof ArrayBuffer && !out.includes(b)) out.push(b);
  }
  return out;
}
