/**
 * UMT, uni-modal teachers (Du et al., "Improving Multi-Modal Learning with Uni-Modal Teachers", 2021), as
 * BalanceBenchmark's trainer has it (GeWu-Lab/BalanceBenchmark, `balancemm/trainer/UMT_trainer.py`): two unimodal
 * models trained beforehand (an `audio-only` and a `visual-only` run) are frozen teachers, and the multimodal model's
 * encoder features are pulled towards theirs:
 *   L = CE(fusion(z_a, z_v), y) + alpha (MSE(z_a, t_a) + MSE(z_v, t_v)),
 * t_a = the audio teacher's first-branch feature, t_v = the visual teacher's second-branch feature of the same
 * batch, MSE the mean over batch and feature (PyTorch's `MSELoss`). The teachers run in evaluation mode (their
 * running BatchNorm statistics; BalanceBenchmark leaves its teachers in training mode, which keeps moving their
 * statistics: the lab freezes them, as distillation from a fixed teacher means). Cost: one forward pass of each
 * teacher's encoder per step, no extra backward pass. Teachers must have the student's width and branch kinds.
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config';
import { importSafetensors } from '../export';
import { AVModel, type ModelOptions } from '../model';
import { Rng } from '../random';
import type { MethodContext, TrainingMethod } from './method';
import { softCrossEntropy } from './method';

/** Mean squared difference over all elements (PyTorch MSELoss, reduction mean). */
export function meanSquaredError(a: tf.Tensor2D, b: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.squaredDifference(a, b)) as tf.Scalar;
}

export interface Teachers {
  /** Its first branch (`audio_net`) teaches the student's. */
  audio: AVModel;
  /** Its second branch (`visual_net`) teaches the student's. */
  visual: AVModel;
}

export function createUmt(config: TrainConfig, context: MethodContext = {}): TrainingMethod {
  const teachers = context.teachers;
  if (!teachers) throw new Error('method umt needs two teachers: the weights of an audio-only run and of a visual-only run (--teacher-audio, --teacher-visual)');
  const alpha = config.umt.alpha;
  const frozen = { training: false } as const;
  return {
    name: 'umt',
    beginEpoch() {},
    batchLoss(model, batch, _rng, forward) {
      const out = model.forward(batch.audio, batch.visual, forward);
      // The teachers' variables are not the student's, so no gradient reaches them.
      const ta = teachers.audio.encodeAudio(batch.audio, frozen);
      const tv = teachers.visual.encodeVisual(batch.visual, frozen);
      const distill = tf.add(meanSquaredError(out.za, ta), meanSquaredError(out.zv, tv)) as tf.Scalar;
      const loss = tf.add(softCrossEntropy(out.logits, batch.oneHot), tf.mul(alpha, distill)) as tf.Scalar;
      return { loss, logits: out.logits, aux: { distill } };
    },
    batchMix: () => null,
  };
}

/**
 * A teacher from exported weights (`.safetensors` of a lab or PyTorch run): its options from the file's metadata,
 * checked against the student's (the taught branch's kind and the width, so the features have the same size).
 * `source` names the file in messages.
 */
export function loadTeacher(bytes: Uint8Array, source: string, branch: 'audio' | 'visual', student: ModelOptions): AVModel {
  let imported: ReturnType<typeof importSafetensors>;
  try {
    imported = importSafetensors(bytes);
  } catch (e) {
    throw new Error(`UMT ${branch} teacher ${source}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const k = branch === 'audio' ? 0 : 1;
  const o = imported.options;
  if (o.modalities[k] !== student.modalities[k]) {
    throw new Error(`UMT ${branch} teacher ${source}: its ${branch === 'audio' ? 'first' : 'second'} branch is ${o.modalities[k]}, the model's is ${student.modalities[k]}`);
  }
  if (o.width !== student.width) throw new Error(`UMT ${branch} teacher ${source}: width ${o.width}, the model's is ${student.width} (the features must have the same size)`);
  const method = imported.meta?.method;
  if (method && method !== (branch === 'audio' ? 'audio-only' : 'visual-only')) {
    throw new Error(`UMT ${branch} teacher ${source}: trained with method ${method}; a teacher is ${branch === 'audio' ? 'an audio-only' : 'a visual-only'} run`);
  }
  const model = new AVModel(o, new Rng(0));
  model.params.write(imported.weights);
  return model;
}
