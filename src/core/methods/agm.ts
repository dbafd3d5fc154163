/**
 * AGM, adaptive gradient modulation (Li et al., ICCV 2023), for two modalities as BalanceBenchmark's trainer has it
 * (GeWu-Lab/BalanceBenchmark, `balancemm/trainer/AGM_trainer.py`: `GradMod_2`, `Modality_Audio_2`,
 * `Modality_Visual_2` and the two-modality branch of `training_step`). Per batch:
 * - the training forward gives the fused logits f(a, v) and the loss CE(f(a, v), y); then two masked passes in
 *   evaluation mode, without gradients: f(a, 0) with the visual input zeroed and f(0, v) with the audio input zeroed;
 * - the Shapley-style unimodal responses m_a = (f(a, v) - f(0, v) + f(a, 0)) / 2, m_v = (f(a, v) - f(a, 0) + f(0, v)) / 2;
 * - the scores s_m = mean_i -log max(softmax(m_m)[i, y_i], 1e-8);
 * - r_a = exp(s_v - s_a), r_v = exp(s_a - s_v); eta_a, eta_v the same of the running means of the scores over all
 *   steps so far (0 before the first), which are then updated, S_m <- S_m (t - 1) / t + s_m / t at the t-th step;
 * - k_m = exp(alpha min(eta_m - r_m, 10)); every encoder kernel gradient (not the 1-D BatchNorm parameters) of
 *   encoder m is multiplied by k_m;
 * - if a gradient of the head's output layer has an entry beyond +-5, all gradients are clipped to global norm 5
 *   (torch.nn.utils.clip_grad_norm_: times 5 / (norm + 1e-6) when that is below 1).
 * Choices the reference leaves open: its n-modality code writes r_m = exp(2 (s_m - mean s)), the reverse of its
 * two-modality branch for two modalities (which would raise the coefficient of the modality getting stronger); the
 * lab follows the two-modality branch (a modality more dominant than on average gets k < 1). BalanceBenchmark's
 * generic Shapley pass leaves out the f(a, 0) term; the lab keeps it (`Modality_Audio_2`). The head's output layer
 * is `fc_out` (concat, film, gated), `fc_x` and `fc_y` (sum), `head_a` and `head_v` (decision). alpha = 0.1 in
 * BalanceBenchmark's configuration. The running means and their count are the method's state, kept in checkpoints
 * (a resumed run continues them). Cost per step: two forward passes more than ERM (no backward).
 */
import * as tf from '@tensorflow/tfjs';
import type { FusionName, TrainConfig } from '../config';
import { AUDIO_NET, VISUAL_NET } from '../model';
import type { TrainingMethod } from './method';
import { softCrossEntropy, stateNumber } from './method';
import { isEncoderConvKernel } from './ogm-ge';

/** The two Shapley-style responses from the full, audio-only (visual zeroed) and visual-only outputs. */
export function shapleyResponses<T extends tf.Tensor>(full: T, audioOnly: T, visualOnly: T): { audio: T; visual: T } {
  return {
    audio: tf.mul(tf.add(tf.sub(full, visualOnly), audioOnly), 0.5) as T,
    visual: tf.mul(tf.add(tf.sub(full, audioOnly), visualOnly), 0.5) as T,
  };
}

/** s = mean_i -log max(softmax(x)[i, y_i], 1e-8). */
export function agmScore(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  const p = tf.sum(tf.mul(tf.softmax(logits), oneHot), 1);
  return tf.neg(tf.mean(tf.log(tf.maximum(p, 1e-8)))) as tf.Scalar;
}

/** k_a, k_v from the batch scores and the running means before this step (plain numbers). */
export function agmCoefficients(scores: { audio: number; visual: number }, means: { audio: number; visual: number }, alpha: number): { audio: number; visual: number } {
  const k = (s: number, o: number, ms: number, mo: number) => Math.exp(alpha * Math.min(Math.exp(mo - ms) - Math.exp(o - s), 10));
  return { audio: k(scores.audio, scores.visual, means.audio, means.visual), visual: k(scores.visual, scores.audio, means.visual, means.audio) };
}

/** The names of the head's output layer weights (what AGM's clipping test looks at). */
export function headOutputWeights(fusion: FusionName): string[] {
  switch (fusion) {
    case 'sum':
      return ['fusion_module.fc_x.weight', 'fusion_module.fc_y.weight'];
    case 'decision':
      return ['fusion_module.head_a.weight', 'fusion_module.head_v.weight'];
    default:
      return ['fusion_module.fc_out.weight'];
  }
}

/** clip_grad_norm_(max 5) over every gradient when an output-layer gradient has an entry beyond +-5. */
export function agmClip(grads: Map<string, tf.Tensor>, outputWeights: string[]): Map<string, tf.Tensor> {
  const head = outputWeights.map((n) => grads.get(n)).filter((g): g is tf.Tensor => g !== undefined);
  if (head.length === 0) return grads;
  const extreme = tf.max(tf.stack(head.map((g) => tf.max(tf.abs(g)))));
  const norm = tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g)))));
  const factor = tf.minimum(tf.div(5, tf.add(norm, 1e-6)), 1);
  const scale = tf.where(tf.greater(extreme, 5), factor, tf.scalar(1));
  return new Map([...grads].map(([n, g]) => [n, tf.mul(g, scale)]));
}

export function createAgm(config: TrainConfig): TrainingMethod {
  const alpha = config.agm.alpha;
  const outputWeights = headOutputWeights(config.fusion);
  // Running means of the scores (device scalars) and the steps they average.
  let means: { audio: tf.Scalar; visual: tf.Scalar } | null = null;
  let steps = 0;
  return {
    name: 'agm',
    beginEpoch() {},
    batchLoss(model, batch, _rng, forward) {
      const out = model.forward(batch.audio, batch.visual, forward);
      return { loss: softCrossEntropy(out.logits, batch.oneHot), logits: out.logits };
    },
    stepGradients(model, batch, _rng, pass) {
      let logits: tf.Tensor2D | null = null;
      const main = pass((forward) => {
        const out = model.forward(batch.audio, batch.visual, forward);
        logits = tf.keep(out.logits);
        return softCrossEntropy(out.logits, batch.oneHot);
      });
      const full = tf.clone(logits!);
      tf.dispose(logits!);
      const evalMode = { training: false };
      const audioOnly = model.forward(batch.audio, tf.zerosLike(batch.visual), evalMode).logits;
      const visualOnly = model.forward(tf.zerosLike(batch.audio), batch.visual, evalMode).logits;
      const r = shapleyResponses(full, audioOnly, visualOnly);
      const sa = agmScore(r.audio, batch.oneHot);
      const sv = agmScore(r.visual, batch.oneHot);
      const ma = means?.audio ?? tf.scalar(0);
      const mv = means?.visual ?? tf.scalar(0);
      const coef = (s: tf.Scalar, o: tf.Scalar, ms: tf.Scalar, mo: tf.Scalar) =>
        tf.exp(tf.mul(tf.minimum(tf.sub(tf.exp(tf.sub(mo, ms)), tf.exp(tf.sub(o, s))), 10), alpha)) as tf.Scalar;
      const ka = coef(sa, sv, ma, mv);
      const kv = coef(sv, sa, mv, ma);
      steps++;
      const t = steps;
      const next = {
        audio: tf.keep(tf.add(tf.mul(ma, (t - 1) / t), tf.div(sa, t)) as tf.Scalar),
        visual: tf.keep(tf.add(tf.mul(mv, (t - 1) / t), tf.div(sv, t)) as tf.Scalar),
      };
      if (means) tf.dispose([means.audio, means.visual]);
      means = next;
      const grads = new Map(main.grads);
      for (const [encoder, k] of [
        [AUDIO_NET, ka],
        [VISUAL_NET, kv],
      ] as const) {
        for (const [name, g] of main.grads) if (isEncoderConvKernel(name, g.shape, encoder)) grads.set(name, tf.mul(g, k));
      }
      return { loss: main.value, logits: full, grads: agmClip(grads, outputWeights), aux: { coefAudio: ka, coefVisual: kv } };
    },
    batchMix: () => null,
    stepCoefficients(aux) {
      return aux.coefAudio === undefined ? null : { audio: aux.coefAudio, visual: aux.coefVisual };
    },
    epochReport({ auxMean }) {
      return { mix: null, coefficients: { audio: auxMean.coefAudio ?? 1, visual: auxMean.coefVisual ?? 1 } };
    },
    async saveState() {
      if (!means) return null;
      const [a, v] = await Promise.all([means.audio.data(), means.visual.data()]);
      return { method: 'agm', values: { meanAudio: a[0], meanVisual: v[0], steps } };
    },
    loadState(state) {
      if (means) tf.dispose([means.audio, means.visual]);
      means = { audio: tf.keep(tf.scalar(stateNumber(state, 'meanAudio'))), visual: tf.keep(tf.scalar(stateNumber(state, 'meanVisual'))) };
      steps = stateNumber(state, 'steps');
    },
  };
}
