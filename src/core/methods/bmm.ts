/**
 * Balanced Multimodal Mixup (the paper's 3.3, METHOD.md section 3). After `warmup` plain epochs, rho from the
 * evaluation pass before each epoch picks the weak modality w (v if rho > 1, else a) and the strength
 * m = tanh(beta (r - 1)), r = max(rho, 1/rho). Each batch mixes only the weak modality's input,
 * x~_w = (1 - m) x_w + m x_w[p], leaves the strong input untouched, and mixes the targets the same way.
 * Options: `coef` tanh(beta*r); `level` feature (mix z_w instead of x_w); `targets` original;
 * `sample` beta (per batch m * lambda with lambda ~ Beta(alpha, alpha), alpha = mm.alpha); `maxM` bounds m;
 * `rhoSmoothing` plans with an average of rho over epochs (`plannedRho`); `ramp` R > 0 scales m by
 * min(1, t / (R S)) at the t-th balanced step (from 1, S steps per epoch: `rampFactor`), so the loss the optimiser
 * sees changes gradually after the warm-up instead of at once. rho itself comes from the unimodal
 * score the config chooses (`unimodal`: zero, mean or half-bias; `src/core/fusion.ts`).
 */
import * as tf from '@tensorflow/tfjs';
import type { BmmOptions, TrainConfig } from '../config';
import type { Batch, BranchInput, TrainingMethod } from './method';
import { interpolate, permuteRows, softCrossEntropy } from './method';
import { balancePlan, plannedRho, type BalancePlan, type Modality } from '../bmmPlan';

export { balancePlan, plannedRho, type BalancePlan, type Modality } from '../bmmPlan';

/**
 * The ramp's factor for step `step` (0-based) of epoch `epoch` (0-based) with `steps` steps per epoch: the
 * balanced steps so far, t = (epoch - warmup) * steps + step + 1, over ramp * steps, capped at 1.
 */
export function rampFactor(epoch: number, step: number, steps: number, options: Pick<BmmOptions, 'warmup' | 'ramp'>): number {
  if (options.ramp <= 0) return 1;
  const t = (epoch - options.warmup) * steps + step + 1;
  return Math.max(0, Math.min(1, t / (options.ramp * Math.max(1, steps))));
}

export interface WeakMix {
  audio: BranchInput;
  visual: tf.Tensor5D;
  targets: tf.Tensor2D;
}

/** Input-level mixing of the weak modality; the strong modality's tensor is returned as is (bit-identical). */
export function mixWeakInputs(batch: Batch, weak: Modality, m: number, perm: Int32Array, targets: 'weak' | 'original'): WeakMix {
  const mixedTargets = targets === 'weak' ? interpolate(batch.oneHot, permuteRows(batch.oneHot, perm), m) : batch.oneHot;
  return weak === 'audio'
    ? { audio: interpolate(batch.audio, permuteRows(batch.audio, perm), m), visual: batch.visual, targets: mixedTargets }
    : { audio: batch.audio, visual: interpolate(batch.visual, permuteRows(batch.visual, perm), m), targets: mixedTargets };
}

export function createBmm(config: TrainConfig): TrainingMethod {
  const options = config.bmm;
  let plan: BalancePlan = { weak: null, m: 0 };
  let batchM = 0;
  let epochIndex = 0;
  let steps = 1;
  let step = 0;
  return {
    name: 'bmm',
    beginEpoch({ epoch, rho, rhoHistory, steps: epochSteps }) {
      const history = rhoHistory ?? (rho === null ? [] : [rho]);
      plan = balancePlan(options.rhoSmoothing > 0 ? plannedRho(history, options.rhoSmoothing) : rho, epoch, options);
      epochIndex = epoch;
      steps = epochSteps ?? 1;
      step = 0;
    },
    batchLoss(model, batch, rng, forward) {
      batchM = plan.m * (plan.weak === null ? 1 : rampFactor(epochIndex, step, steps, options));
      step++;
      let lambda: number | null = null;
      if (plan.weak !== null && options.sample === 'beta') {
        lambda = rng.beta(config.mm.alpha, config.mm.alpha);
        batchM *= lambda;
      }
      if (plan.weak === null || batchM === 0) {
        const out = model.forward(batch.audio, batch.visual, forward);
        return { loss: softCrossEntropy(out.logits, batch.oneHot), logits: out.logits, mixing: { lambda } };
      }
      const perm = rng.permutation(batch.labels.shape[0]);
      const mixing = { perm: Array.from(perm), lambda, m: batchM, weak: plan.weak };
      if (options.level === 'input') {
        const mixed = mixWeakInputs(batch, plan.weak, batchM, perm, options.targets);
        const out = model.forward(mixed.audio, mixed.visual, forward);
        return { loss: softCrossEntropy(out.logits, mixed.targets), logits: out.logits, mixing };
      }
      let za = model.encodeAudio(batch.audio, forward);
      let zv = model.encodeVisual(batch.visual, forward);
      if (plan.weak === 'audio') za = interpolate(za, permuteRows(za, perm), batchM);
      else zv = interpolate(zv, permuteRows(zv, perm), batchM);
      const targets = options.targets === 'weak' ? interpolate(batch.oneHot, permuteRows(batch.oneHot, perm), batchM) : batch.oneHot;
      const { logits } = model.fuse(za, zv);
      return { loss: softCrossEntropy(logits, targets), logits, mixing };
    },
    batchMix: () => batchM,
  };
}
