/**
 * The five fusion modules of METHOD.md section 2 with OGM-GE's parameter names (`fusion_module.*`).
 * Each returns the logits and the fused representation, i.e. the input of its last linear layer:
 * concat, sum and decision fusion are linear in [z_a ; z_v], so their fused representation is that concatenation;
 * FiLM's is gamma(z_a) * z_v + beta(z_a); gated's is sigmoid(fc_x(z_a)) * fc_y(z_v).
 */
import * as tf from '@tensorflow/tfjs';
import { HALF_BIAS_FUSIONS, type FusionName, type UnimodalScore } from './config';
import type { ParamSpec, ParamStore } from './params';

const P = 'fusion_module';

function linearSpecs(name: string, inDim: number, outDim: number): ParamSpec[] {
  return [
    { name: `${P}.${name}.weight`, kind: 'linear-weight', shape: [inDim, outDim] },
    { name: `${P}.${name}.bias`, kind: 'linear-bias', shape: [outDim] },
  ];
}

/** Parameter specs of a fusion module for encoder dimension d and C classes. */
export function fusionParamSpecs(fusion: FusionName, d: number, numClasses: number): ParamSpec[] {
  switch (fusion) {
    case 'concat':
      return linearSpecs('fc_out', 2 * d, numClasses);
    case 'sum':
      return [...linearSpecs('fc_x', d, numClasses), ...linearSpecs('fc_y', d, numClasses)];
    case 'film':
      return [...linearSpecs('fc', d, 2 * d), ...linearSpecs('fc_out', d, numClasses)];
    case 'gated':
      return [...linearSpecs('fc_x', d, d), ...linearSpecs('fc_y', d, d), ...linearSpecs('fc_out', d, numClasses)];
    case 'decision':
      return [...linearSpecs('head_a', d, numClasses), ...linearSpecs('head_v', d, numClasses)];
    default: {
      const never: never = fusion;
      throw new Error(`unknown fusion ${String(never)}`);
    }
  }
}

function linear(params: ParamStore, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, params.get(`${P}.${name}.weight`) as unknown as tf.Tensor2D), params.get(`${P}.${name}.bias`)) as tf.Tensor2D;
}

export interface FusionOutput {
  logits: tf.Tensor2D;
  fused: tf.Tensor2D;
}

/** Fuses z_a [B, d] and z_v [B, d]. */
export function fusionForward(fusion: FusionName, params: ParamStore, za: tf.Tensor2D, zv: tf.Tensor2D): FusionOutput {
  switch (fusion) {
    case 'concat': {
      const fused = tf.concat([za, zv], 1);
      return { logits: linear(params, 'fc_out', fused), fused };
    }
    case 'sum':
      return { logits: tf.add(linear(params, 'fc_x', za), linear(params, 'fc_y', zv)) as tf.Tensor2D, fused: tf.concat([za, zv], 1) };
    case 'film': {
      // OGM-GE's FiLM: gamma, beta = split(fc(x), d); out = fc_out(gamma * y + beta), with x = z_a conditioning y = z_v.
      const d = za.shape[1];
      const gb = linear(params, 'fc', za);
      const gamma = tf.slice(gb, [0, 0], [-1, d]);
      const beta = tf.slice(gb, [0, d], [-1, d]);
      const fused = tf.add(tf.mul(gamma, zv), beta) as tf.Tensor2D;
      return { logits: linear(params, 'fc_out', fused), fused };
    }
    case 'gated': {
      const fused = tf.mul(tf.sigmoid(linear(params, 'fc_x', za)), linear(params, 'fc_y', zv)) as tf.Tensor2D;
      return { logits: linear(params, 'fc_out', fused), fused };
    }
    case 'decision':
      return {
        logits: tf.mul(tf.add(linear(params, 'head_a', za), linear(params, 'head_v', zv)), 0.5) as tf.Tensor2D,
        fused: tf.concat([za, zv], 1),
      };
    default: {
      const never: never = fusion;
      throw new Error(`unknown fusion ${String(never)}`);
    }
  }
}

/**
 * How a unimodal output stands in for the missing modality (the `unimodal` setting):
 * - `zero`: u_a = fusion(z_a, 0), u_v = fusion(0, z_v) (the paper, OGM-GE's text);
 * - `mean`: the other modality's feature is its mean over the training set, u_a = fusion(z_a, E[z_v]), so a linear
 *   head keeps the W_v E[z_v] offset its bias was trained with;
 * - `half-bias`: OGM-GE's code, each modality's own linear part: concat W_a z_a + b/2, sum fc_x(z_a) (its own
 *   bias), decision head_a(z_a); not defined for film and gated, whose heads do not split by modality.
 */
export type { UnimodalScore } from './config';

/** Training-set means of z_a and z_v, [1, d] each (for `mean`). */
export interface FeatureMeans {
  audio: tf.Tensor2D;
  visual: tf.Tensor2D;
}

/** Unimodal outputs u_a, u_v under the chosen score; `means` is required for `mean`. */
export function unimodalLogits(
  fusion: FusionName,
  params: ParamStore,
  za: tf.Tensor2D,
  zv: tf.Tensor2D,
  mode: UnimodalScore = 'zero',
  means: FeatureMeans | null = null,
): { audio: tf.Tensor2D; visual: tf.Tensor2D } {
  switch (mode) {
    case 'zero':
      return { audio: fusionForward(fusion, params, za, tf.zerosLike(zv)).logits, visual: fusionForward(fusion, params, tf.zerosLike(za), zv).logits };
    case 'mean': {
      if (!means) throw new Error('unimodal = mean needs the training-set feature means');
      const b = za.shape[0];
      return {
        audio: fusionForward(fusion, params, za, tf.tile(means.visual, [b, 1])).logits,
        visual: fusionForward(fusion, params, tf.tile(means.audio, [b, 1]), zv).logits,
      };
    }
    case 'half-bias':
      switch (fusion) {
        case 'concat': {
          const d = za.shape[1];
          const w = params.get(`${P}.fc_out.weight`) as unknown as tf.Tensor2D;
          const halfBias = tf.mul(params.get(`${P}.fc_out.bias`), 0.5);
          return {
            audio: tf.add(tf.matMul(za, tf.slice(w, [0, 0], [d, -1])), halfBias) as tf.Tensor2D,
            visual: tf.add(tf.matMul(zv, tf.slice(w, [d, 0], [d, -1])), halfBias) as tf.Tensor2D,
          };
        }
        case 'sum':
          return { audio: linear(params, 'fc_x', za), visual: linear(params, 'fc_y', zv) };
        case 'decision':
          return { audio: linear(params, 'head_a', za), visual: linear(params, 'head_v', zv) };
        default:
          throw new Error(`unimodal = half-bias is defined for ${HALF_BIAS_FUSIONS.join(', ')} fusion, not ${fusion}`);
      }
  }
}
