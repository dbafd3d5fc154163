/**
 * What a training session reports: the typed events the browser worker forwards to the page and the CLI prints.
 * All payloads are plain data (typed arrays included), so they pass through `postMessage` unchanged.
 */
import type { BackendName } from './config';
import type { RunResults } from './results';

/** Accuracy as a fraction in [0, 1]. */
export interface SplitAccuracy {
  trainAcc: number;
  testAcc: number;
}

/** Row = true class, column = predicted class, counts over the test set. */
export type ConfusionMatrix = number[][];

export interface EpochMetrics {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  /** Fused (multimodal) accuracy over the epoch's training batches, and over the test set. */
  trainAcc: number;
  testAcc: number;
  audio: SplitAccuracy;
  visual: SplitAccuracy;
  /** Imbalance ratio s_a / s_v over the whole training set in eval mode (> 1: audio dominates). */
  rho: number;
  /** The scores rho is the ratio of, s_a and s_v (METHOD.md section 3) over the training set; absent in older runs. */
  scores?: { audio: number; visual: number };
  /** What the method reports as its per-epoch strength (`TrainingMethod.epochReport`): B-MM's m, OGM-GE's
   * coefficient of the strong modality (epoch means); null for methods without one. */
  mix: number | null;
  /** Methods that scale each encoder's gradient (OGM-GE): mean coefficient per encoder over the epoch. */
  coefficients?: { audio: number; visual: number };
  lr: number;
  samplesPerSec: number;
  seconds: number;
  /** Accuracy of each head on the validation clips held out of the training split (`valSplit` > 0); absent without. */
  val?: { fused: number; audio: number; visual: number };
  /** Seconds of the epoch's evaluation passes (BN statistics, training set, test set); absent in older runs. */
  evalSeconds?: number;
  /** Training batches of the epoch and batches of its evaluation passes (for the ETA); absent in older runs. */
  work?: EpochWork;
  confusion: { fused: ConfusionMatrix; audio: ConfusionMatrix; visual: ConfusionMatrix };
}

export interface BatchProgress {
  epoch: number;
  /** 1-based batch index within the epoch. */
  batch: number;
  batches: number;
  loss: number;
  /** Fused accuracy of this batch's predictions (against the unmixed labels). */
  acc: number;
  mix: number | null;
  samplesPerSec: number;
  /** Seconds this step took. */
  seconds?: number;
}

/** An epoch's work in batches: optimisation steps, and the batches of its evaluation passes. */
export interface EpochWork {
  trainBatches: number;
  evalBatches: number;
}

/** The evaluation passes that end every epoch, in order. */
export type EvalPhase = 'bn' | 'train' | 'val' | 'test' | 'blend';

/** How the page and the CLI name each evaluation phase. */
export const EVAL_PHASE_LABELS: Record<EvalPhase, string> = {
  bn: 'BN statistics',
  train: 'train pass for rho',
  val: 'validation pass',
  test: 'test pass',
  blend: 'G-Blending probe',
};

/** "(BN statistics, train pass for rho, test pass)": the passes an epoch's evaluation makes under these settings. */
export function evaluationPhasesText(precise: boolean, validation: boolean): string {
  const phases: EvalPhase[] = [...(precise ? (['bn'] as const) : []), 'train', ...(validation ? (['val'] as const) : []), 'test'];
  return `(${phases.map((p) => EVAL_PHASE_LABELS[p]).join(', ')})`;
}

/**
 * Progress of an epoch's evaluation: `bn` recomputes the BatchNorm statistics (bnStats = precise), `train` is the
 * pass over the training set (train accuracies and rho), `val` the validation clips (valSplit > 0), `test` the test set;
 * `blend` is G-Blending's probe before an epoch trains (its `epoch` that epoch, its batches the probe's alone). `batch` of `batches` counts over all
 * phases of this evaluation; `batch` 0 is sent when it begins.
 */
export interface EvalProgress {
  epoch: number;
  phase: EvalPhase;
  batch: number;
  batches: number;
}

/**
 * A timed step before training (`TrainingSession.estimate`): seconds of one training batch (forward and backward,
 * without the optimiser) and of one evaluation batch, on the session's backend, and what they add up to.
 */
export interface StepEstimate {
  trainBatchSeconds: number;
  evalBatchSeconds: number;
  work: EpochWork;
  epochSeconds: number;
  runSeconds: number;
  epochs: number;
}

/**
 * One optimisation step as `bmm-lab train --trace` writes it (one JSON object per line): `epoch` from 1, `step`
 * from 0 within the epoch; `indices` the batch's clips in batch order, as positions in the training split; `loss`
 * the value minimised; `perm` the mixing permutation (x[perm] is each row's partner); `lambda` MM's lambda (or
 * B-MM's Beta draw); `m` and `weak` B-MM's strength and mixed modality; `coef` OGM's coefficients (PMR's beta
 * and lambda); `blend` G-Blending's loss weights of the audio, visual and fused heads; `greedy` Greedy's modality
 * whose MMTM gates were held at their running mean in this step (or null) and the d_BDR computed after its backward
 * (null within a re-balancing window). Fields a method does not use are null.
 */
export interface StepRecord {
  epoch: number;
  step: number;
  indices: number[];
  loss: number;
  perm: number[] | null;
  lambda: number | null;
  m: number | null;
  weak: 'audio' | 'visual' | null;
  coef: { audio: number; visual: number } | null;
  blend: { audio: number; visual: number; fused: number } | null;
  greedy: { hold: 'audio' | 'visual' | null; dBDR: number | null } | null;
}

/** Features of a sample of clips for the UMAP maps; row-major [n, dim]. */
export interface FeatureSnapshot {
  epoch: number;
  labels: Int32Array;
  /** 0 = train clip, 1 = test clip. */
  split: Uint8Array;
  audio: Float32Array;
  visual: Float32Array;
  fused: Float32Array;
  dims: { audio: number; visual: number; fused: number };
}

/** Accuracy of the current weights without training (after importing weights, for instance). */
export interface EvaluationReport {
  fused: SplitAccuracy;
  audio: SplitAccuracy;
  visual: SplitAccuracy;
  rho: number;
  confusion: { fused: ConfusionMatrix; audio: ConfusionMatrix; visual: ConfusionMatrix };
}

/** How a run ended. Its config is the session's (not repeated here); best/final come from `runResults`. */
export interface RunSummary {
  backend: BackendName;
  dataset: string;
  classNames: string[];
  epochs: number;
  /** Null before the first epoch. */
  results: RunResults | null;
  stoppedEarly: boolean;
}

export type SessionEvent =
  | { type: 'batch'; progress: BatchProgress }
  | { type: 'evaluating'; progress: EvalProgress }
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'features'; features: FeatureSnapshot }
  | { type: 'error'; message: string; fatal: boolean }
  | { type: 'done'; summary: RunSummary };
