/**
 * The unimodal rows (`audio-only`, `visual-only`): one encoder and its part of the fusion head trained alone,
 * L = CE(fusion(z_a, 0), y) (audio) or CE(fusion(0, z_v), y) (visual). The other encoder is not run, so it gets no
 * gradient and Adam leaves it as it started (PyTorch's Adam skips a parameter without a gradient); the head's
 * weights on the missing feature get a zero gradient, so only weight decay moves them. For concat, sum and decision
 * fusion this is a linear classifier on the one feature (plus the bias), which is what the balancing papers' audio-
 * and visual-only rows train (e.g. BalanceBenchmark, GeWu-Lab/BalanceBenchmark, `balancemm/trainer/unimodal_trainer.py`,
 * one encoder with its own linear head). The row's accuracy is the trained modality's (`audio.testAcc`,
 * `visual.testAcc`): with `unimodal = zero` (required, `validateConfig`) that is exactly the trained head.
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainingMethod } from './method';
import { softCrossEntropy } from './method';

export type Modality = 'audio' | 'visual';

/** One modality's method: CE of the head with the other feature at zero. */
export function createUnimodal(modality: Modality): TrainingMethod {
  return {
    name: modality === 'audio' ? 'audio-only' : 'visual-only',
    beginEpoch() {},
    batchLoss(model, batch, _rng, forward) {
      let logits: tf.Tensor2D;
      if (modality === 'audio') {
        const za = model.encodeAudio(batch.audio, forward);
        logits = model.fuse(za, tf.zerosLike(za)).logits;
      } else {
        const zv = model.encodeVisual(batch.visual, forward);
        logits = model.fuse(tf.zerosLike(zv), zv).logits;
      }
      return { loss: softCrossEntropy(logits, batch.oneHot), logits };
    },
    batchMix: () => null,
  };
}

export const createAudioOnly = (): TrainingMethod => createUnimodal('audio');
export const createVisualOnly = (): TrainingMethod => createUnimodal('visual');
