/**
 * Multimodal Mixup (the paper's 3.2): per batch lambda ~ Beta(alpha, alpha) and a permutation p;
 * z~_m = lambda z_m + (1 - lambda) z_m[p] for both modalities (encoder features, before fusion),
 * y~ = lambda onehot(y) + (1 - lambda) onehot(y[p]); L = CE(fusion(z~_a, z~_v), y~).
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config';
import type { TrainingMethod } from './method';
import { interpolate, permuteRows, softCrossEntropy } from './method';

export interface MixedFeatures {
  za: tf.Tensor2D;
  zv: tf.Tensor2D;
  targets: tf.Tensor2D;
}

/** The convex combinations of MM for a given lambda and permutation. */
export function mixFeatures(za: tf.Tensor2D, zv: tf.Tensor2D, oneHot: tf.Tensor2D, lambda: number, perm: Int32Array): MixedFeatures {
  // lambda * x + (1 - lambda) * x[p] == interpolate(x, x[p], 1 - lambda)
  return {
    za: interpolate(za, permuteRows(za, perm), 1 - lambda),
    zv: interpolate(zv, permuteRows(zv, perm), 1 - lambda),
    targets: interpolate(oneHot, permuteRows(oneHot, perm), 1 - lambda),
  };
}

export function createMm(config: TrainConfig): TrainingMethod {
  const alpha = config.mm.alpha;
  return {
    name: 'mm',
    beginEpoch() {},
    batchLoss(model, batch, rng, forward) {
      const za = model.encodeAudio(batch.audio, forward);
      const zv = model.encodeVisual(batch.visual, forward);
      const lambda = rng.beta(alpha, alpha);
      const perm = rng.permutation(batch.labels.shape[0]);
      const mixed = mixFeatures(za, zv, batch.oneHot, lambda, perm);
      const { logits } = model.fuse(mixed.za, mixed.zv);
      return { loss: softCrossEntropy(logits, mixed.targets), logits, mixing: { perm: Array.from(perm), lambda } };
    },
    batchMix: () => null,
  };
}
