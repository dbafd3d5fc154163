/**
 * MMTM blocks, the cross-modal coupling of method `greedy` (Wu et al., ICML 2022, "Characterizing and overcoming the
 * greedy nature of learning in multi-modal deep neural networks"; the authors' code nyukat/greedy_multimodal_learning,
 * `src/balanced_mmtm.py` `MMTM_mitigate` and `src/model.py`; BalanceBenchmark GeWu-Lab/BalanceBenchmark,
 * `balancemm/models/avclassify_model.py`). A model built with `mmtm` has one block after layer2, layer3 and layer4 of
 * both encoders (the authors' `mmtm2`..`mmtm4`, squeeze ratio 4). Block k, on the audio map A and the visual map V of
 * C channels each (C = layer k's width):
 * - s_a, s_v: the maps averaged per clip (a spectrogram map over h, w; a frame branch's B*T maps over T, h, w);
 * - e = relu(fc_squeeze([s_a ; s_v])) with 2 * 2C / 4 = C units; g_a = sigmoid(fc_audio(e)), g_v = sigmoid(fc_visual(e));
 * - A * g_a and V * g_v, each gate row broadcast over h, w and the T frames of its clip.
 * Re-balancing ("curation") holds one modality's gates at their running mean over the training steps so far (a
 * constant vector, so that modality's fc gets no gradient from the block). The authors name the second modality
 * `skeleton`; the lab's names are `fc_audio` (the first branch) and `fc_visual` (the second). Linear layers start as
 * the fusion head's (xavier-normal weights, zero biases; the authors keep PyTorch's default init).
 */
import * as tf from '@tensorflow/tfjs';
import { scaledChannels, type ParamSpec, type ParamStore } from './params';
import { RESNET_BASE_WIDTHS } from './resnet';

/** The encoder layers followed by an MMTM block (1-based, as the module names `mmtm2`..`mmtm4`). */
export const MMTM_LAYERS = [2, 3, 4] as const;

export type GateModality = 'audio' | 'visual';

/** Gate vectors per block (in MMTM_LAYERS order) and modality. */
export interface GateSet {
  audio: tf.Tensor1D[];
  visual: tf.Tensor1D[];
}

/** How a training forward runs its MMTM blocks (method greedy); evaluation passes run them plainly. */
export interface MmtmControl {
  /** The modality whose gates are replaced by `means` in this forward; null: none. */
  hold: GateModality | null;
  /** Running means of the gates, [C] per block (needed with `hold`). */
  means: GateSet | null;
  /** Receives each block's batch-mean gates, computed before any replacement (kept tensors; the caller disposes them). */
  record?: GateSet;
}

function linear(name: string, inDim: number, outDim: number): ParamSpec[] {
  return [
    { name: `${name}.weight`, kind: 'linear-weight', shape: [inDim, outDim] },
    { name: `${name}.bias`, kind: 'linear-bias', shape: [outDim] },
  ];
}

/** Channels of the maps block `mmtm{k}` gates. */
export function mmtmChannels(k: number, width: number): number {
  return scaledChannels(RESNET_BASE_WIDTHS[k - 1], width);
}

/** The blocks' parameter specs, in state_dict order (after the fusion module's). */
export function mmtmParamSpecs(width: number): ParamSpec[] {
  return MMTM_LAYERS.flatMap((k) => {
    const c = mmtmChannels(k, width);
    const squeezed = Math.floor((2 * (c + c)) / 4);
    return [...linear(`mmtm${k}.fc_squeeze`, 2 * c, squeezed), ...linear(`mmtm${k}.fc_audio`, squeezed, c), ...linear(`mmtm${k}.fc_visual`, squeezed, c)];
  });
}

/** A map of B*T images [B*T, h, w, C] averaged per clip: [B, C]. */
function squeeze(map: tf.Tensor4D, frames: number): tf.Tensor2D {
  const [n, h, w, c] = map.shape;
  return tf.mean(tf.reshape(map, [n / frames, frames * h * w, c]), 1) as tf.Tensor2D;
}

/** The map times its clip's gate row (gate [B, C] or a held [C]). */
function gate(map: tf.Tensor4D, frames: number, g: tf.Tensor): tf.Tensor4D {
  const [n, h, w, c] = map.shape;
  const rows = g.rank === 1 ? tf.reshape(g, [1, 1, c]) : tf.expandDims(g, 1);
  return tf.reshape(tf.mul(tf.reshape(map, [n / frames, frames * h * w, c]), rows), map.shape) as tf.Tensor4D;
}

function dense(params: ParamStore, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, params.get(`${name}.weight`) as unknown as tf.Tensor2D), params.get(`${name}.bias`)) as tf.Tensor2D;
}

/**
 * Block `mmtm{k}` on the audio map [Ba*Ta, h, w, C] and the visual map [B*Tv, h', w', C] (Ta, Tv: frames per clip of
 * each branch, 1 for a spectrogram); returns the gated maps.
 */
export function mmtmBlock(
  params: ParamStore,
  k: number,
  audio: { map: tf.Tensor4D; frames: number },
  visual: { map: tf.Tensor4D; frames: number },
  control: MmtmControl | undefined,
): { audio: tf.Tensor4D; visual: tf.Tensor4D } {
  const e = tf.relu(dense(params, `mmtm${k}.fc_squeeze`, tf.concat([squeeze(audio.map, audio.frames), squeeze(visual.map, visual.frames)], 1)));
  const ga = tf.sigmoid(dense(params, `mmtm${k}.fc_audio`, e));
  const gv = tf.sigmoid(dense(params, `mmtm${k}.fc_visual`, e));
  if (control?.record) {
    control.record.audio.push(tf.keep(tf.mean(ga, 0) as tf.Tensor1D));
    control.record.visual.push(tf.keep(tf.mean(gv, 0) as tf.Tensor1D));
  }
  const i = MMTM_LAYERS.indexOf(k as (typeof MMTM_LAYERS)[number]);
  const held = (m: GateModality): tf.Tensor | null => {
    if (control?.hold !== m) return null;
    if (!control.means) throw new Error(`MMTM: holding the ${m} gates needs their running means`);
    return control.means[m][i];
  };
  return { audio: gate(audio.map, audio.frames, held('audio') ?? ga), visual: gate(visual.map, visual.frames, held('visual') ?? gv) };
}
