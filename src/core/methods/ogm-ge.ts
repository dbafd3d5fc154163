/**
 * OGM-GE (Peng et al. 2022), as its public code does it: per batch, scores s_m = sum_i softmax(u_m)[i, y_i] from the
 * batch's unimodal outputs; ratio_v = s_v / s_a, ratio_a = 1 / ratio_v; the stronger modality s (ratio_s > 1) gets
 * k_s = 1 - tanh(alpha * ratio_s), the other k = 1. After backprop of the fused CE, every 4-D conv kernel gradient
 * g of encoder s becomes g * k_s + N(0, std(g)) (OGM-GE) or g * k_s (OGM), for epochs start <= e <= end
 * (0-based, both ends included as in that code).
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config';
import { AUDIO_NET, VISUAL_NET } from '../model';
import type { TrainingMethod } from './method';
import { softCrossEntropy } from './method';

/** k_a, k_v from the two batch scores (plain numbers; used by tests and as the reference of the tensor version). */
export function ogmCoefficients(scoreAudio: number, scoreVisual: number, alpha: number): { audio: number; visual: number } {
  const ratioV = scoreVisual / scoreAudio;
  const ratioA = 1 / ratioV;
  if (ratioV > 1) return { audio: 1, visual: 1 - Math.tanh(alpha * ratioV) };
  if (ratioA > 1) return { audio: 1 - Math.tanh(alpha * ratioA), visual: 1 };
  return { audio: 1, visual: 1 };
}

/** Tensor version of `ogmCoefficients` (stays on the device). */
function coefficientTensors(sa: tf.Scalar, sv: tf.Scalar, alpha: number): { audio: tf.Scalar; visual: tf.Scalar } {
  const ratioV = tf.div(sv, sa);
  const ratioA = tf.div(sa, sv);
  const one = tf.scalar(1);
  const kv = tf.where(tf.greater(ratioV, 1), tf.sub(1, tf.tanh(tf.mul(ratioV, alpha))), one) as tf.Scalar;
  const ka = tf.where(tf.greater(ratioA, 1), tf.sub(1, tf.tanh(tf.mul(ratioA, alpha))), one) as tf.Scalar;
  return { audio: ka, visual: kv };
}

/** Whether a parameter is a 4-D conv kernel of the given encoder. */
export function isEncoderConvKernel(name: string, shape: readonly number[], encoder: string): boolean {
  return name.startsWith(`${encoder}.`) && shape.length === 4;
}

export function createOgmGe(config: TrainConfig): TrainingMethod {
  const { alpha, mode, start, end } = config.ogm;
  let active = false;
  return {
    name: 'ogm-ge',
    beginEpoch({ epoch }) {
      active = epoch >= start && epoch <= end;
    },
    batchLoss(model, batch, _rng, forward) {
      const out = model.forward(batch.audio, batch.visual, forward);
      const loss = softCrossEntropy(out.logits, batch.oneHot);
      if (!active) return { loss, logits: out.logits };
      const uni = model.unimodal(out.za, out.zv);
      const score = (logits: tf.Tensor2D) => tf.sum(tf.mul(tf.softmax(logits), batch.oneHot)) as tf.Scalar;
      const k = coefficientTensors(score(uni.audio), score(uni.visual), alpha);
      return { loss, logits: out.logits, aux: { coefAudio: k.audio, coefVisual: k.visual } };
    },
    modulateGradients(grads, aux, rng) {
      if (!active || !aux.coefAudio) return grads;
      const out = new Map(grads);
      for (const [encoder, coef] of [
        [AUDIO_NET, aux.coefAudio],
        [VISUAL_NET, aux.coefVisual],
      ] as const) {
        for (const [name, g] of grads) {
          if (!isEncoderConvKernel(name, g.shape, encoder)) continue;
          // k = 1 for the weak encoder leaves its gradient unchanged (and, as in OGM-GE's code, adds no noise).
          const scaled = tf.mul(g, coef);
          if (mode === 'ogm-ge') {
            const n = g.size;
            const mean = tf.mean(g);
            const std = tf.sqrt(tf.div(tf.sum(tf.square(tf.sub(g, mean))), Math.max(1, n - 1)));
            const noise = tf.mul(tf.randomNormal(g.shape, 0, 1, 'float32', rng.nextUint32()), tf.add(std, 1e-8));
            const isStrong = tf.cast(tf.less(coef, 1), 'float32');
            out.set(name, tf.add(scaled, tf.mul(noise, isStrong)));
          } else {
            out.set(name, scaled);
          }
        }
      }
      return out;
    },
    batchMix(aux) {
      if (aux.coefAudio === undefined) return null;
      return Math.min(aux.coefAudio, aux.coefVisual);
    },
    stepCoefficients(aux) {
      return aux.coefAudio === undefined ? null : { audio: aux.coefAudio, visual: aux.coefVisual };
    },
    epochReport({ mixMean, auxMean }) {
      // Outside the modulation window (or before it) both coefficients are 1.
      if (auxMean.coefAudio === undefined) return { mix: 1, coefficients: { audio: 1, visual: 1 } };
      return { mix: mixMean ?? 1, coefficients: { audio: auxMean.coefAudio, visual: auxMean.coefVisual } };
    },
  };
}
