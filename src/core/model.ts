/**
 * The two-branch classifier (OGM-GE's AVClassifier): `audio_net` and `visual_net` ResNet-18 encoders and a
 * `fusion_module`. `audio_net` is the first branch and `visual_net` the second, whatever their kinds
 * (modalities.ts). Inputs are NHWC: a spectrogram [B, H, W, 1] (H = frequency bins), its map averaged over h and w;
 * frames (RGB or flow) [B, T, S, S, C] run as B*T images, the map averaged over T, h and w. So z_a, z_v are [B, d].
 */
import * as tf from '@tensorflow/tfjs';
import type { FusionName } from './config';
import type { BranchInput } from './methods/method';
import { KIND_CHANNELS, type ModalityPair } from './modalities';
import { fusionForward, fusionParamSpecs, unimodalLogits, type FeatureMeans, type FusionOutput, type UnimodalScore } from './fusion';
import { ParamStore, type ParamSpec } from './params';
import type { Rng } from './random';
import { MMTM_LAYERS, mmtmBlock, mmtmParamSpecs } from './mmtm';
import { encoderDim, resnetLayer, resnetParamSpecs, resnetStem, RESNET_BASE_WIDTHS, type ForwardOptions } from './resnet';

export interface ModelOptions {
  numClasses: number;
  fusion: FusionName;
  width: number;
  /** The first and second branch's kinds (their input channels follow). */
  modalities: ModalityPair;
  /** MMTM blocks after layer2-4 coupling the encoders (mmtm.ts): the model of method greedy. */
  mmtm?: boolean;
}

/** Whether a method's model has the MMTM blocks. */
export function methodHasMmtm(method: string): boolean {
  return method === 'greedy';
}

export const AUDIO_NET = 'audio_net';
export const VISUAL_NET = 'visual_net';

/** All parameter specs of the model, in state_dict order. */
export function modelParamSpecs(o: ModelOptions): ParamSpec[] {
  return [
    ...resnetParamSpecs(AUDIO_NET, KIND_CHANNELS[o.modalities[0]], o.width),
    ...resnetParamSpecs(VISUAL_NET, KIND_CHANNELS[o.modalities[1]], o.width),
    ...fusionParamSpecs(o.fusion, encoderDim(o.width), o.numClasses),
    ...(o.mmtm ? mmtmParamSpecs(o.width) : []),
  ];
}

export interface ModelOutput extends FusionOutput {
  za: tf.Tensor2D;
  zv: tf.Tensor2D;
}

export class AVModel {
  readonly params: ParamStore;
  readonly dim: number;
  /** How unimodal outputs stand in for the missing modality (the `unimodal` setting). */
  unimodalScore: UnimodalScore = 'zero';
  /** Training-set feature means for `unimodal = mean`, from the last evaluation pass over the training set. */
  private means: FeatureMeans | null = null;

  constructor(
    readonly options: ModelOptions,
    rng: Rng,
  ) {
    if (!(options.numClasses >= 2)) throw new Error(`model needs at least 2 classes, got ${options.numClasses}`);
    this.params = new ParamStore(modelParamSpecs(options), rng);
    this.dim = encoderDim(options.width);
  }

  /** z_a [B, d] from the first branch's input: a spectrogram [B, H, W, 1] or frames [B, T, S, S, C]. */
  encodeAudio(audio: BranchInput, opts: ForwardOptions): tf.Tensor2D {
    this.alone(AUDIO_NET);
    return this.pool(this.runLayers(AUDIO_NET, this.images(AUDIO_NET, this.options.modalities[0], audio), opts));
  }

  /** z_v [B, d] from the second branch's frames [B, T, S, S, C]. */
  encodeVisual(visual: BranchInput, opts: ForwardOptions): tf.Tensor2D {
    this.alone(VISUAL_NET);
    return this.pool(this.runLayers(VISUAL_NET, this.images(VISUAL_NET, this.options.modalities[1], visual), opts));
  }

  /** z_a and z_v; with MMTM blocks the two encoders run layer by layer, each block gating both maps. */
  encode(audio: BranchInput, visual: BranchInput, opts: ForwardOptions): { za: tf.Tensor2D; zv: tf.Tensor2D } {
    if (!this.options.mmtm) return { za: this.encodeAudio(audio, opts), zv: this.encodeVisual(visual, opts) };
    const a = this.images(AUDIO_NET, this.options.modalities[0], audio);
    const v = this.images(VISUAL_NET, this.options.modalities[1], visual);
    let ha = resnetStem(this.params, AUDIO_NET, a.x, opts);
    let hv = resnetStem(this.params, VISUAL_NET, v.x, opts);
    for (let k = 1; k <= RESNET_BASE_WIDTHS.length; k++) {
      ha = resnetLayer(this.params, AUDIO_NET, this.options.width, k, ha, opts);
      hv = resnetLayer(this.params, VISUAL_NET, this.options.width, k, hv, opts);
      if ((MMTM_LAYERS as readonly number[]).includes(k)) {
        const g = mmtmBlock(this.params, k, { map: ha, frames: a.frames }, { map: hv, frames: v.frames }, opts.mmtm);
        ha = g.audio;
        hv = g.visual;
      }
    }
    return { za: this.pool({ map: ha, frames: a.frames }), zv: this.pool({ map: hv, frames: v.frames }) };
  }

  private alone(net: string): void {
    if (this.options.mmtm) throw new Error(`${net} cannot run alone: the MMTM blocks couple the two encoders (encode both branches together)`);
  }

  /** A branch's input as images [B*T, H, W, C] and its frames per clip T (1 for a spectrogram). */
  private images(net: string, kind: ModalityPair[number], x: BranchInput): { x: tf.Tensor4D; frames: number } {
    const want = kind === 'spectrogram' ? 4 : 5;
    if (x.rank !== want) throw new Error(`${net} takes ${kind === 'spectrogram' ? 'a spectrogram [B, H, W, 1]' : `${kind} frames [B, T, S, S, C]`}, got shape [${x.shape.join(', ')}]`);
    if (x.rank === 4) return { x: x as tf.Tensor4D, frames: 1 };
    const [b, t, h, w, c] = (x as tf.Tensor5D).shape;
    return { x: tf.reshape(x, [b * t, h, w, c]), frames: t };
  }

  private runLayers(net: string, input: { x: tf.Tensor4D; frames: number }, opts: ForwardOptions): { map: tf.Tensor4D; frames: number } {
    let h = resnetStem(this.params, net, input.x, opts);
    for (let k = 1; k <= RESNET_BASE_WIDTHS.length; k++) h = resnetLayer(this.params, net, this.options.width, k, h, opts);
    return { map: h, frames: input.frames };
  }

  /** The final map averaged per clip (over h, w, and the T frames of a frame branch): [B, d]. */
  private pool({ map, frames }: { map: tf.Tensor4D; frames: number }): tf.Tensor2D {
    if (frames === 1) return tf.mean(map, [1, 2]) as tf.Tensor2D;
    const [n, mh, mw, d] = map.shape;
    return tf.mean(tf.reshape(map, [n / frames, frames * mh * mw, d]), 1) as tf.Tensor2D;
  }

  fuse(za: tf.Tensor2D, zv: tf.Tensor2D): FusionOutput {
    return fusionForward(this.options.fusion, this.params, za, zv);
  }

  /**
   * Unimodal outputs u_a, u_v under `unimodalScore`. With `mean` before any evaluation pass has measured the
   * training-set means, the batch's own means stand in.
   */
  unimodal(za: tf.Tensor2D, zv: tf.Tensor2D): { audio: tf.Tensor2D; visual: tf.Tensor2D } {
    if (this.unimodalScore !== 'mean' || this.means) return unimodalLogits(this.options.fusion, this.params, za, zv, this.unimodalScore, this.means);
    const batch = { audio: tf.mean(za, 0, true) as tf.Tensor2D, visual: tf.mean(zv, 0, true) as tf.Tensor2D };
    return unimodalLogits(this.options.fusion, this.params, za, zv, 'mean', batch);
  }

  /** Sets (and keeps) the training-set feature means; the previous ones are disposed. */
  setFeatureMeans(means: FeatureMeans | null): void {
    if (this.means) tf.dispose([this.means.audio, this.means.visual]);
    this.means = means ? { audio: tf.keep(means.audio), visual: tf.keep(means.visual) } : null;
  }

  get featureMeans(): FeatureMeans | null {
    return this.means;
  }

  forward(audio: BranchInput, visual: BranchInput, opts: ForwardOptions): ModelOutput {
    const { za, zv } = this.encode(audio, visual, opts);
    return { za, zv, ...this.fuse(za, zv) };
  }

  trainableVariables(): tf.Variable[] {
    return this.params.trainable();
  }

  dispose(): void {
    this.setFeatureMeans(null);
    this.params.dispose();
  }
}
