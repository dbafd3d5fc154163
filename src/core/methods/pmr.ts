/**
 * PMR, prototypical modal rebalance (Fan et al., CVPR 2023), for two modalities as BalanceBenchmark's trainer has it
 * (GeWu-Lab/BalanceBenchmark, `balancemm/trainer/PMR_trainer.py`: `calculate_prototype`, `training_step`).
 * - Before each epoch, the class prototypes of each modality: the mean encoder feature of each class over the
 *   training set in evaluation mode (no gradients), then P <- (1 - mu) P_new + mu P_old after the first epoch
 *   (momentum mu = 0.5).
 * - Per batch, sim_m = -|z_m - P_m| (Euclidean distance of each clip's feature to each class prototype, [B, C]), the
 *   scores s_m = sum_i softmax(sim_m)[i, y_i] and rho_p = s_a / s_v; if rho_p >= 1 (audio stronger), beta = 0 and
 *   lambda = clip(rho_p - 1, 0, 1), else beta = clip(1 / rho_p - 1, 0, 1) and lambda = 0;
 *   L = CE(fused, y) + alpha beta CE(sim_a, y) + alpha lambda CE(sim_v, y): the prototype cross-entropy of the
 *   weaker modality (alpha = 0.1 in BalanceBenchmark's configuration). As in that code the coefficients are tensors
 *   of the batch, so the gradient also flows through them.
 * Choices the reference leaves open: it averages the features of the first tenth of a shuffled epoch's batches;
 * the lab averages over the whole training split, in order, in batches of the training batch size (so both
 * implementations see the same clips). A class without clips keeps a zero prototype (the reference divides by 0).
 * Its PMR_PER variant (an entropy term) and modulation window are not used. The prototypes are the method's state,
 * kept in checkpoints (a resumed run blends the next class means into them as an uninterrupted one does). The trace's `coef` is (beta, lambda).
 * Cost per step: about ERM's (two small distance matrices); per epoch, one evaluation-mode forward pass over the
 * training set for the prototypes.
 */
import * as tf from '@tensorflow/tfjs';
import type { BatchBuilder } from '../batches';
import { disposeBatch } from '../batches';
import type { TrainConfig } from '../config';
import type { ClipStore } from '../dataset';
import type { AVModel } from '../model';
import type { TrainingMethod } from './method';
import { softCrossEntropy, stateTensor } from './method';

export interface Prototypes {
  audio: tf.Tensor2D;
  visual: tf.Tensor2D;
}

/** Per-class mean features [C, d] of both encoders over `store` in evaluation mode (zero for a class without clips). */
export function classFeatureMeans(model: AVModel, store: ClipStore, builder: BatchBuilder, batchSize: number, classes: number): Prototypes {
  return tf.tidy(() => {
    let sa: tf.Tensor2D = tf.zeros([classes, model.dim]);
    let sv: tf.Tensor2D = tf.zeros([classes, model.dim]);
    const counts = new Float32Array(classes);
    for (let start = 0; start < store.size; start += batchSize) {
      const indices = Array.from({ length: Math.min(batchSize, store.size - start) }, (_, i) => start + i);
      const batch = builder.batch(store, indices, null);
      const opts = { training: false };
      const za = model.encodeAudio(batch.audio, opts);
      const zv = model.encodeVisual(batch.visual, opts);
      // onehot^T z sums each class's features.
      const t = tf.transpose(tf.oneHot(batch.labels, classes).toFloat()) as tf.Tensor2D;
      sa = tf.add(sa, tf.matMul(t, za));
      sv = tf.add(sv, tf.matMul(t, zv));
      for (const l of batch.labelValues) counts[l]++;
      disposeBatch(batch);
    }
    const n = tf.tensor2d(Array.from(counts, (c) => Math.max(c, 1)), [classes, 1]);
    return { audio: tf.div(sa, n) as tf.Tensor2D, visual: tf.div(sv, n) as tf.Tensor2D };
  });
}

/** -|z_i - p_c| for features [B, d] and prototypes [C, d]: [B, C]. */
export function prototypeLogits(z: tf.Tensor2D, prototypes: tf.Tensor2D): tf.Tensor2D {
  const diff = tf.sub(tf.expandDims(z, 1), tf.expandDims(prototypes, 0));
  return tf.neg(tf.sqrt(tf.sum(tf.square(diff), 2))) as tf.Tensor2D;
}

/** (beta, lambda), the prototype-loss coefficients of audio and visual, from the two prototype scores. */
export function pmrCoefficients(scoreAudio: number, scoreVisual: number): { audio: number; visual: number } {
  const ratio = scoreAudio / scoreVisual;
  const clip = (x: number) => Math.min(1, Math.max(0, x));
  return ratio >= 1 ? { audio: 0, visual: clip(ratio - 1) } : { audio: clip(1 / ratio - 1), visual: 0 };
}

export function createPmr(config: TrainConfig): TrainingMethod {
  const { alpha, momentum } = config.pmr;
  let prototypes: Prototypes | null = null;
  return {
    name: 'pmr',
    beginEpoch({ epoch, classMeans }) {
      if (!classMeans) throw new Error('pmr needs the class means of the training set at each epoch start');
      const fresh = classMeans();
      if (prototypes && epoch > 0) {
        const old = prototypes;
        prototypes = tf.tidy(() => ({
          audio: tf.keep(tf.add(tf.mul(fresh.audio, 1 - momentum), tf.mul(old.audio, momentum)) as tf.Tensor2D),
          visual: tf.keep(tf.add(tf.mul(fresh.visual, 1 - momentum), tf.mul(old.visual, momentum)) as tf.Tensor2D),
        }));
        tf.dispose([old.audio, old.visual, fresh.audio, fresh.visual]);
      } else {
        if (prototypes) tf.dispose([prototypes.audio, prototypes.visual]);
        prototypes = fresh;
      }
    },
    batchLoss(model, batch, _rng, forward) {
      const out = model.forward(batch.audio, batch.visual, forward);
      const fused = softCrossEntropy(out.logits, batch.oneHot);
      if (!prototypes) return { loss: fused, logits: out.logits };
      const simA = prototypeLogits(out.za, prototypes.audio);
      const simV = prototypeLogits(out.zv, prototypes.visual);
      const score = (sim: tf.Tensor2D) => tf.sum(tf.mul(tf.softmax(sim), batch.oneHot));
      const ratio = tf.div(score(simA), score(simV));
      const strongAudio = tf.greaterEqual(ratio, 1);
      const zero = tf.scalar(0);
      const beta = tf.where(strongAudio, zero, tf.clipByValue(tf.sub(tf.div(1, ratio), 1), 0, 1)) as tf.Scalar;
      const lam = tf.where(strongAudio, tf.clipByValue(tf.sub(ratio, 1), 0, 1), zero) as tf.Scalar;
      const loss = tf.addN([fused, tf.mul(tf.mul(beta, alpha), softCrossEntropy(simA, batch.oneHot)), tf.mul(tf.mul(lam, alpha), softCrossEntropy(simV, batch.oneHot))]) as tf.Scalar;
      return { loss, logits: out.logits, aux: { coefAudio: beta, coefVisual: lam } };
    },
    batchMix: () => null,
    stepCoefficients(aux) {
      return aux.coefAudio === undefined ? null : { audio: aux.coefAudio, visual: aux.coefVisual };
    },
    epochReport({ auxMean }) {
      return { mix: null, coefficients: { audio: auxMean.coefAudio ?? 0, visual: auxMean.coefVisual ?? 0 } };
    },
    async saveState() {
      if (!prototypes) return null;
      const [a, v] = await Promise.all([prototypes.audio.data(), prototypes.visual.data()]);
      return {
        method: 'pmr',
        values: { audio: Float32Array.from(a), visual: Float32Array.from(v) },
        shapes: { audio: [...prototypes.audio.shape], visual: [...prototypes.visual.shape] },
      };
    },
    loadState(state) {
      if (prototypes) tf.dispose([prototypes.audio, prototypes.visual]);
      prototypes = { audio: tf.keep(stateTensor(state, 'audio') as tf.Tensor2D), visual: tf.keep(stateTensor(state, 'visual') as tf.Tensor2D) };
    },
  };
}
