/**
 * The interface every training method implements. A method decides how one batch becomes a loss (and may
 * rewrite the gradients before the optimiser step); the trainer does everything else. A new method
 * (G-Blending, PMR, Greedy, ...) is one new file implementing `TrainingMethod`, registered in `index.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import type { BatchBuilder } from '../batches';
import type { MethodName, TrainConfig } from '../config';
import type { ClipStore } from '../dataset';
import type { AVModel } from '../model';
import type { Rng } from '../random';
import type { ForwardOptions } from '../resnet';

/** A branch's model input: a spectrogram [B, H, W, 1] or frames [B, T, S, S, C]. */
export type BranchInput = tf.Tensor4D | tf.Tensor5D;

/** One training batch on the device: `audio` is the first branch's input, `visual` the second's (modalities.ts). */
export interface Batch {
  audio: BranchInput;
  visual: tf.Tensor5D;
  /** int32 class indices [B]. */
  labels: tf.Tensor1D;
  /** float32 one-hot targets [B, C]. */
  oneHot: tf.Tensor2D;
}

export interface EpochStart {
  /** 0-based epoch index. */
  epoch: number;
  /** rho from the evaluation pass over the training set before this epoch; null before the first pass. */
  rho: number | null;
  /** rho of every completed epoch, oldest first (so a method's smoothing survives a resume from a checkpoint). */
  rhoHistory?: readonly number[];
  /** Optimisation steps (batches) this epoch. */
  steps?: number;
  /** Per-class mean encoder features of the training set in evaluation mode, computed when called (PMR's prototypes). */
  classMeans?: () => { audio: tf.Tensor2D; visual: tf.Tensor2D };
}

export interface BatchLoss {
  loss: tf.Scalar;
  /** Fused logits, for the batch accuracy against the unmixed labels. */
  logits: tf.Tensor2D;
  /** Per-batch scalars the method wants reported or reused in `modulateGradients` (kept alive by the trainer). */
  aux?: Record<string, tf.Tensor>;
  /** The random choices of this batch, for the step trace (absent: none were made). */
  mixing?: Partial<StepMixing>;
}

/**
 * What a batch's mixing used (`bmm-lab train --trace`): the permutation p of batch positions (x[p] is each row's
 * partner), MM's lambda (or B-MM's Beta draw), B-MM's strength m and the modality it mixed.
 */
export interface StepMixing {
  perm: number[] | null;
  lambda: number | null;
  m: number | null;
  weak: 'audio' | 'visual' | null;
}

/**
 * One gradient pass of a step (for `stepGradients`): runs `f` under its own gradient tape with training-mode
 * forward options and returns its value and the gradients by parameter name (parameters `f` does not reach have
 * none). Only the step's first pass records BatchNorm batch statistics, and they are applied to the running
 * averages as soon as it returns (as PyTorch's training forward does), so later passes of the same inputs, with
 * the same batch statistics, leave the running averages alone and evaluation-mode passes after it see them updated.
 */
export type GradientPass = (f: (forward: ForwardOptions) => tf.Scalar) => { value: tf.Scalar; grads: Map<string, tf.Tensor> };

/** What a method's `stepGradients` hands the optimiser. */
export interface StepGradients {
  /** The reported loss. */
  loss: tf.Scalar;
  /** Fused logits, for the batch accuracy. */
  logits: tf.Tensor2D;
  /** The gradients Adam applies, by parameter name. */
  grads: Map<string, tf.Tensor>;
  aux?: Record<string, tf.Tensor>;
  mixing?: Partial<StepMixing>;
}

/** What a method's `beforeEpoch` works with: the run's model, its clips and settings (G-Blending's probe). */
export interface EpochProbe {
  /** 0-based epoch index of the epoch about to train. */
  epoch: number;
  model: AVModel;
  /** The clips trained on (without the validation clips). */
  train: ClipStore;
  /** The validation clips held out of the training split (`valSplit`); null without. */
  val: ClipStore | null;
  builder: BatchBuilder;
  config: TrainConfig;
  /** Progress of the work, in batches (`done` 0 when it begins). */
  onProgress(done: number, total: number): void;
  /** True once a pause or stop was asked: the work gives up (resolves false) and runs again when training goes on. */
  interrupted(): boolean;
}

/** What a Greedy step held and the d_BDR it computed (methods/greedy.ts), for the step trace. */
export interface StepGreedy {
  hold: 'audio' | 'visual' | null;
  dBDR: number | null;
}

/** The loss weight of each head of a step (G-Blending), for the step trace. */
export interface StepBlend {
  audio: number;
  visual: number;
  fused: number;
}

export interface TrainingMethod {
  readonly name: MethodName;
  /**
   * Optionally runs before an epoch starts (before `beginEpoch` and the epoch's shuffle), with its own passes over
   * the data: G-Blending's probe. Resolves false when interrupted by a pause or stop.
   */
  beforeEpoch?(probe: EpochProbe): Promise<boolean>;
  /**
   * Work `beforeEpoch` adds to the epochs `from` (0-based) up to `to` (excluded) of a session starting at `from`, in
   * training and evaluation batches (for the run's time estimate); absent: none.
   */
  extraWork?(from: number, to: number, sizes: { train: number; val: number }): { trainBatches: number; evalBatches: number };
  /** Called before each epoch's first batch. */
  beginEpoch(start: EpochStart): void;
  /** Builds one batch's loss; runs inside the gradient tape, so everything here is differentiated. */
  batchLoss(model: AVModel, batch: Batch, rng: Rng, forward: ForwardOptions): BatchLoss;
  /**
   * Optionally computes the step's gradients itself, in one or more gradient passes (MMPareto's per-loss gradients,
   * AGM's masked passes); replaces `batchLoss` and `modulateGradients` for the step. Runs inside tf.tidy.
   */
  stepGradients?(model: AVModel, batch: Batch, rng: Rng, pass: GradientPass): StepGradients;
  /** Optionally rewrites gradients (keyed by parameter name) after backprop; runs inside tf.tidy. */
  modulateGradients?(grads: Map<string, tf.Tensor>, aux: Record<string, tf.Tensor>, rng: Rng): Map<string, tf.Tensor>;
  /** Optionally sees the step's read-back aux values once the step is done (Greedy's re-balancing schedule). */
  endStep?(auxValues: Record<string, number>): void;
  /** The step's held modality and d_BDR, for the step trace (Greedy); absent or null: none. */
  stepGreedy?(): StepGreedy | null;
  /** The value reported as `mix` for this batch: B-MM's m, OGM-GE's strong coefficient (from aux), else null. */
  batchMix(auxValues: Record<string, number>): number | null;
  /** The heads' loss weights of this batch, for the step trace (G-Blending); absent or null: none. */
  stepBlend?(): StepBlend | null;
  /** Per-encoder gradient coefficients of this batch, for the step trace (OGM-GE); absent or null: none. */
  stepCoefficients?(auxValues: Record<string, number>): { audio: number; visual: number } | null;
  /** What the epoch reports from its batches' values (default: `mix` = mean of the batches' non-null mixes). */
  epochReport?(totals: EpochTotals): EpochReport;
  /**
   * The method's state across epochs as plain data, for a checkpoint (AGM's running means, PMR's prototypes,
   * G-Blending's weights); absent, or null before there is any: nothing to keep.
   */
  saveState?(): Promise<MethodState | null>;
  /** Restores what `saveState` gave (a run resumed from a checkpoint). */
  loadState?(state: MethodState): void;
}

/**
 * A method's state in a checkpoint: named numbers and float arrays (structured-clone and `checkpointToJson`
 * friendly), with the shapes of the arrays.
 */
export interface MethodState {
  method: MethodName;
  values: Record<string, number | Float32Array>;
  shapes?: Record<string, number[]>;
}

/** `state`'s value `key` as a number; throws naming the method and the key when it is missing. */
export function stateNumber(state: MethodState, key: string): number {
  const v = state.values[key];
  if (typeof v !== 'number') throw new Error(`checkpoint: the ${state.method} state has no number ${key}`);
  return v;
}

/** `state`'s array `key` as a tensor of its recorded shape; throws naming the method and the key when it is missing. */
export function stateTensor(state: MethodState, key: string): tf.Tensor {
  const v = state.values[key];
  const shape = state.shapes?.[key];
  if (!(v instanceof Float32Array) || !shape) throw new Error(`checkpoint: the ${state.method} state has no array ${key}`);
  return tf.tensor(v, shape);
}

/** The epoch's batches, summed up by the session for `epochReport`. */
export interface EpochTotals {
  batches: number;
  /** Mean of the batches' non-null `batchMix` values; null when there were none. */
  mixMean: number | null;
  /** Mean of each aux value over the batches that reported it. */
  auxMean: Record<string, number>;
}

/** A method's per-epoch figures for the metrics (`EpochMetrics.mix`, `.coefficients`). */
export interface EpochReport {
  mix: number | null;
  coefficients?: { audio: number; visual: number };
}

/** The report of methods that only have a per-batch mix (or none). */
export function defaultEpochReport(totals: EpochTotals): EpochReport {
  return { mix: totals.mixMean };
}

/** What a method may need beyond its config: UMT's frozen teacher models. */
export interface MethodContext {
  teachers?: { audio: AVModel; visual: AVModel };
}

export type MethodFactory = (config: TrainConfig, context?: MethodContext) => TrainingMethod;

/** Cross-entropy of logits against (possibly soft) targets, averaged over the batch. */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

/**
 * Rows of a tensor reordered by a permutation (x[p]). Its gradient is the inverse reordering of dy, written out
 * because TF.js's generic gather gradient needs UnsortedSegmentSum, which the wasm backend lacks.
 */
export function permuteRows<T extends tf.Tensor>(x: T, perm: Int32Array): T {
  const inverse = new Int32Array(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  const f = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return {
      value: tf.gather(input, tf.tensor1d(perm, 'int32')),
      gradFunc: (dy: tf.Tensor) => tf.gather(dy, tf.tensor1d(inverse, 'int32')),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T;
}

/** (1 - m) * a + m * b, written so that m = 0 gives a exactly. */
export function interpolate<T extends tf.Tensor>(a: T, b: T, m: number): T {
  return tf.add(tf.mul(a, 1 - m), tf.mul(b, m)) as T;
}
