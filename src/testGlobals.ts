/**
 * The globals that pages expose to the end-to-end tests and the decode bench, declared once on `Window`.
 * `decoded` and `plan` are set by src/data/decode/testHook.ts on a page opened with `?test=1`; `onDataset`,
 * `downloads` and `trainOneEpoch` by the decoding harness (e2e/decode-harness.tsx); `__longTasks` by the lab tests' init script.
 */
import type { DecodedSummary, PlanHook } from './data/decode/testHook';
import type { TrainConfig } from './core/config';
import type { EpochMetrics } from './core/events';
import type { DatasetInfo } from './worker/protocol';

/** A dataset the harness's DatasetPanel handed to onDataset. */
export interface HandedDataset {
  name: string;
  classNames: string[];
  ignored: number;
  train: number;
  test: number;
  modalities: readonly string[];
}

/** What the harness's trainOneEpoch saw from the training worker. */
export interface TrainReport {
  backend: string;
  dataset: DatasetInfo | null;
  epochs: EpochMetrics[];
  /** The distinct labels of the feature snapshot (the UMAP legend's classes), sorted. */
  featureClasses: number[];
  errors: string[];
  /** The worker's last state (`done`, `error`, `stopped`). */
  state: string;
}

export interface TestHooks {
  decoded?: DecodedSummary;
  plan?: PlanHook;
  onDataset?: HandedDataset[];
  trainOneEpoch?: (overrides?: Partial<TrainConfig>) => Promise<TrainReport>;
  /** Files the harness's DatasetPanel downloaded ("Export dataset" without a folder picker). */
  downloads?: { name: string; bytes: number[] }[];
}

declare global {
  interface Window {
    __bmmLab?: TestHooks;
    /** Durations (ms) of the main-thread long tasks the lab tests record. */
    __longTasks?: number[];
  }
}
