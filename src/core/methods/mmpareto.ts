/**
 * MMPareto (Wei and Hu, ICML 2024), as the authors' code does it (GeWu-Lab/MMPareto_ICML2024, `code/MMPareto.py`
 * and `code/min_norm_solvers.py`). Per batch, the multimodal loss L_mm = CE(fusion(z_a, z_v), y) and the unimodal
 * losses L_a = CE(u_a, y), L_v = CE(u_v, y) (u from the run's `unimodal` score). For each encoder m, g_mm is the
 * gradient of L_mm and g_m that of the unimodal losses with respect to its parameters, and
 * - if cos(g_mm, g_m) > 0 (over all the encoder's parameters at once), the weights are k = (1/2, 1/2);
 * - else k = (c, 1 - c) with c the two-task min-norm weight of `_min_norm_element_from2`:
 *   c = 0.999 if <g_mm, g_m> >= |g_mm|^2, 0.001 if <g_mm, g_m> >= |g_m|^2, else (|g_m|^2 - <g_mm, g_m>) / |g_mm - g_m|^2.
 * Each encoder parameter's gradient becomes gamma * s * (2 k_1 g_mm + 2 k_2 g_m), per tensor, with
 * s = max(1, |g_mm + g_m| / |2 k_1 g_mm + 2 k_2 g_m|) (the combination is never shorter than the plain sum's
 * gradient; gamma = 1.5 in that code); the head (`fusion_module.*`) gets the plain gradient of L_mm + L_a + L_v.
 * The reported loss is L_mm + L_a + L_v, what the code optimises and logs; the trace's `coef` is k_1 (the weight of
 * the multimodal gradient) per encoder.
 *
 * The lab computes g_mm in one gradient pass and the unimodal gradients in a second pass of the same batch (the
 * gradient of L_a + L_v: with `unimodal = zero` or `half-bias` L_v does not depend on the audio encoder nor L_a on
 * the visual one, so each encoder's part is its own unimodal gradient, as with the code's separate heads). Where
 * the combination is zero (nothing to scale), the tensor's gradient is zero (the code would divide by zero).
 * Cost per step: one forward and backward more than ERM.
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config';
import { AUDIO_NET, VISUAL_NET } from '../model';
import type { TrainingMethod } from './method';
import { softCrossEntropy } from './method';

/** The two-task min-norm weight c of min_c |c x_1 + (1 - c) x_2|^2 from the three dot products (`_min_norm_element_from2`). */
export function minNormWeight(v11: number, v12: number, v22: number): number {
  if (v12 >= v11) return 0.999;
  if (v12 >= v22) return 0.001;
  return -(v12 - v22) / (v11 + v22 - 2 * v12);
}

/** k_1, the weight of the multimodal gradient, from the dot products of g_mm (1) and g_m (2). */
export function paretoWeight(v11: number, v12: number, v22: number): number {
  const cos = v12 / Math.max(Math.sqrt(v11) * Math.sqrt(v22), 1e-8);
  return cos > 0 ? 0.5 : minNormWeight(v11, v12, v22);
}

/** Tensor version of `paretoWeight`. */
function paretoWeightTensor(v11: tf.Scalar, v12: tf.Scalar, v22: tf.Scalar): tf.Scalar {
  const cos = tf.div(v12, tf.maximum(tf.mul(tf.sqrt(v11), tf.sqrt(v22)), 1e-8));
  const between = tf.div(tf.sub(v22, v12), tf.sub(tf.add(v11, v22), tf.mul(v12, 2)));
  const c = tf.where(tf.greaterEqual(v12, v11), tf.scalar(0.999), tf.where(tf.greaterEqual(v12, v22), tf.scalar(0.001), between));
  return tf.where(tf.greater(cos, 0), tf.scalar(0.5), c) as tf.Scalar;
}

/**
 * The rescaled combination of one tensor's gradients: gamma * max(1, |g1 + g2| / |c|) * c with c = 2 k g1 + 2 (1 - k) g2
 * (zero where c is zero).
 */
export function paretoCombine(g1: tf.Tensor, g2: tf.Tensor, k: tf.Scalar, gamma: number): tf.Tensor {
  const combined = tf.add(tf.mul(g1, tf.mul(k, 2)), tf.mul(g2, tf.mul(tf.sub(1, k), 2)));
  const plainNorm = tf.norm(tf.add(g1, g2));
  const norm = tf.norm(combined);
  const ratio = tf.div(plainNorm, tf.maximum(norm, 1e-30));
  const scale = tf.where(tf.greater(norm, 0), tf.maximum(ratio, 1), tf.scalar(0));
  return tf.mul(combined, tf.mul(scale, gamma));
}

function dot(names: string[], a: Map<string, tf.Tensor>, b: Map<string, tf.Tensor>): tf.Scalar {
  return tf.addN(names.map((n) => tf.sum(tf.mul(a.get(n)!, b.get(n)!)))) as tf.Scalar;
}

export function createMmPareto(config: TrainConfig): TrainingMethod {
  const gamma = config.mmpareto.gamma;
  return {
    name: 'mmpareto',
    beginEpoch() {},
    batchLoss(model, batch, _rng, forward) {
      const out = model.forward(batch.audio, batch.visual, forward);
      const uni = model.unimodal(out.za, out.zv);
      const loss = tf.addN([softCrossEntropy(out.logits, batch.oneHot), softCrossEntropy(uni.audio, batch.oneHot), softCrossEntropy(uni.visual, batch.oneHot)]) as tf.Scalar;
      return { loss, logits: out.logits };
    },
    stepGradients(model, batch, _rng, pass) {
      let logits: tf.Tensor2D | null = null;
      const mm = pass((forward) => {
        const out = model.forward(batch.audio, batch.visual, forward);
        logits = tf.keep(out.logits);
        return softCrossEntropy(out.logits, batch.oneHot);
      });
      const uni = pass((forward) => {
        const za = model.encodeAudio(batch.audio, forward);
        const zv = model.encodeVisual(batch.visual, forward);
        const u = model.unimodal(za, zv);
        return tf.add(softCrossEntropy(u.audio, batch.oneHot), softCrossEntropy(u.visual, batch.oneHot)) as tf.Scalar;
      });
      const fused = tf.clone(logits!);
      tf.dispose(logits!);
      const grads = new Map<string, tf.Tensor>();
      const aux: Record<string, tf.Tensor> = {};
      for (const [encoder, key] of [
        [AUDIO_NET, 'coefAudio'],
        [VISUAL_NET, 'coefVisual'],
      ] as const) {
        const names = [...mm.grads.keys()].filter((n) => n.startsWith(`${encoder}.`) && uni.grads.has(n));
        const k = paretoWeightTensor(dot(names, mm.grads, mm.grads), dot(names, mm.grads, uni.grads), dot(names, uni.grads, uni.grads));
        for (const n of names) grads.set(n, paretoCombine(mm.grads.get(n)!, uni.grads.get(n)!, k, gamma));
        aux[key] = k;
      }
      for (const [n, g] of mm.grads) {
        if (grads.has(n)) continue;
        const u = uni.grads.get(n);
        grads.set(n, u ? tf.add(g, u) : g);
      }
      for (const [n, g] of uni.grads) if (!grads.has(n)) grads.set(n, g);
      return { loss: tf.add(mm.value, uni.value) as tf.Scalar, logits: fused, grads, aux };
    },
    batchMix: () => null,
    stepCoefficients(aux) {
      return aux.coefAudio === undefined ? null : { audio: aux.coefAudio, visual: aux.coefVisual };
    },
    epochReport({ auxMean }) {
      return { mix: null, coefficients: { audio: auxMean.coefAudio ?? 0.5, visual: auxMean.coefVisual ?? 0.5 } };
    },
  };
}
