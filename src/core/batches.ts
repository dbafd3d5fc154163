/**
 * Turns clips of a ClipStore into model inputs (METHOD.md section 1), branch by branch (`modalities`):
 * - spectrogram: the stored spectrogram, resized (bilinear, half-pixel) to the config's H x W when sizes differ;
 * - frames (RGB or flow), training: T frames chosen at random among those stored (kept in time order; with fewer
 *   than T stored, drawn with repetition), one RandomResizedCrop box (scale 0.08-1, ratio 3/4-4/3, torchvision's
 *   sampling) and one horizontal flip decision per clip, shared by its T frames; evaluation: T frames evenly spaced,
 *   plain resize. Every frame branch takes the config's S and T. With two frame branches (RGB + flow) each draws its
 *   own frames, boxes and flips, the first branch's draws before the second's;
 * - RGB normalised with ImageNet mean/std; optical flow (2 channels, 128 = no motion) mapped to [-1, 1], and a
 *   horizontally flipped flow frame also has its u (horizontal motion) negated, so that the motion stays true to
 *   the mirrored image.
 * Random choices are made on the CPU from the run's Rng; the pixel work runs on the device.
 */
import * as tf from '@tensorflow/tfjs';
import type { ClipStore } from './dataset';
import { KIND_CHANNELS, type Branch, type FrameKind, type ModalityPair } from './modalities';
import type { Batch, BranchInput } from './methods/method';
import type { Rng } from './random';
import { evaluationFrameIndices, trainingFrameIndices } from './frameIndices';

export { evaluationFrameIndices, trainingFrameIndices } from './frameIndices';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

export interface InputShape {
  audioHeight: number;
  audioWidth: number;
  visualSize: number;
  frames: number;
}

export interface StoredShape {
  audioHeight: number;
  audioWidth: number;
  frameSize: number;
  modalities: ModalityPair;
}

/** torchvision RandomResizedCrop.get_params: [top, left, height, width] in pixels of an h x w image. */
export function randomResizedCropBox(h: number, w: number, rng: Rng, scale: [number, number] = [0.08, 1], ratio: [number, number] = [3 / 4, 4 / 3]): [number, number, number, number] {
  const area = h * w;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (scale[0] + rng.uniform() * (scale[1] - scale[0]));
    const aspect = Math.exp(logRatio[0] + rng.uniform() * (logRatio[1] - logRatio[0]));
    const cw = Math.round(Math.sqrt(target * aspect));
    const ch = Math.round(Math.sqrt(target / aspect));
    if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
      return [rng.int(h - ch + 1), rng.int(w - cw + 1), ch, cw];
    }
  }
  // Fallback: central crop clamped to the ratio range.
  const inRatio = w / h;
  let cw = w;
  let ch = h;
  if (inRatio < ratio[0]) ch = Math.round(w / ratio[0]);
  else if (inRatio > ratio[1]) cw = Math.round(h * ratio[1]);
  return [Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), ch, cw];
}

export interface BatchBuilderOptions {
  input: InputShape;
  stored: StoredShape;
  numClasses: number;
}

/** Builds device batches from a ClipStore. */
export class BatchBuilder {
  constructor(private readonly options: BatchBuilderOptions) {}

  /** Audio [B, H, W, 1] float32 at the config's size. */
  audio(store: ClipStore, indices: ArrayLike<number>): tf.Tensor4D {
    const { audioHeight: sh, audioWidth: sw } = this.options.stored;
    const { audioHeight: h, audioWidth: w } = this.options.input;
    const b = indices.length;
    const buf = new Float32Array(b * sh * sw);
    for (let i = 0; i < b; i++) store.readAudio(indices[i], buf, i * sh * sw);
    return tf.tidy(() => {
      const t = tf.tensor4d(buf, [b, sh, sw, 1]);
      return sh === h && sw === w ? t : tf.image.resizeBilinear(t, [h, w], false, true);
    });
  }

  /** Frames of `kind` [B, T, S, S, C] float32, augmented when `augmentRng` is given, else evaluation frames. */
  frames(kind: FrameKind, store: ClipStore, indices: ArrayLike<number>, augmentRng: Rng | null, frameRng: Rng | null): tf.Tensor5D {
    const { frameSize: s0 } = this.options.stored;
    const c = KIND_CHANNELS[kind];
    const { visualSize: s, frames: t } = this.options.input;
    const b = indices.length;
    const pixels = s0 * s0 * c;
    const buf = new Uint8Array(b * t * pixels);
    for (let i = 0; i < b; i++) {
      const clip = indices[i];
      const n = store.frameCount(clip, kind);
      const chosen = frameRng ? trainingFrameIndices(n, t, frameRng) : evaluationFrameIndices(n, t);
      chosen.forEach((f, j) => {
        const frame = store.readFrame(clip, f, kind);
        if (frame.length !== pixels) throw new Error(`${kind} frame ${f} of clip ${clip} has ${frame.length} bytes, expected ${pixels} (${s0}x${s0}x${c})`);
        buf.set(frame, (i * t + j) * pixels);
      });
    }
    let boxes: Float32Array | null = null;
    let flips: Float32Array | null = null;
    if (augmentRng) {
      boxes = new Float32Array(b * t * 4);
      flips = new Float32Array(b * t);
      const denom = Math.max(1, s0 - 1);
      for (let i = 0; i < b; i++) {
        const [top, left, ch, cw] = randomResizedCropBox(s0, s0, augmentRng);
        const flip = augmentRng.uniform() < 0.5 ? 1 : 0;
        for (let j = 0; j < t; j++) {
          boxes.set([top / denom, left / denom, (top + ch - 1) / denom, (left + cw - 1) / denom], (i * t + j) * 4);
          flips[i * t + j] = flip;
        }
      }
    }
    return tf.tidy(() => {
      let img: tf.Tensor4D = tf.cast(tf.tensor4d(buf, [b * t, s0, s0, c], 'int32'), 'float32');
      if (boxes && flips) {
        const boxInd = tf.range(0, b * t, 1, 'int32') as tf.Tensor1D;
        img = tf.image.cropAndResize(img, tf.tensor2d(boxes, [b * t, 4]), boxInd, [s, s], 'bilinear');
        const f = tf.tensor4d(flips, [b * t, 1, 1, 1]);
        img = tf.add(tf.mul(img, tf.sub(1, f)), tf.mul(tf.reverse(img, 2), f)) as tf.Tensor4D;
      } else if (s0 !== s) {
        img = tf.image.resizeBilinear(img, [s, s], false, true);
      }
      let norm: tf.Tensor4D;
      if (kind === 'rgb') {
        const mean = tf.tensor1d(IMAGENET_MEAN.map((m) => m * 255));
        const std = tf.tensor1d(IMAGENET_STD.map((x) => x * 255));
        norm = tf.div(tf.sub(img, mean), std) as tf.Tensor4D;
      } else {
        norm = tf.sub(tf.div(img, 127.5), 1) as tf.Tensor4D;
        if (flips) {
          // u of a mirrored frame points the other way: sign (1 - 2 flip) on channel 0, 1 on v.
          const sign = new Float32Array(b * t * 2);
          for (let k = 0; k < b * t; k++) sign.set([1 - 2 * flips[k], 1], k * 2);
          norm = tf.mul(norm, tf.tensor4d(sign, [b * t, 1, 1, 2])) as tf.Tensor4D;
        }
      }
      return tf.reshape(norm, [b, t, s, s, c]) as tf.Tensor5D;
    });
  }

  labels(store: ClipStore, indices: ArrayLike<number>): Int32Array {
    const out = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) out[i] = store.labels[indices[i]];
    return out;
  }

  /** One branch's input: its kind's spectrogram or frames (training transforms when `training` is given). */
  branch(branch: Branch, store: ClipStore, indices: ArrayLike<number>, training: { augment: Rng | null; frames: Rng } | null): BranchInput {
    const kind = this.options.stored.modalities[branch === 'audio' ? 0 : 1];
    if (kind === 'spectrogram') return this.audio(store, indices);
    return this.frames(kind, store, indices, training ? training.augment : null, training ? training.frames : null);
  }

  /** A full training or evaluation batch. */
  batch(store: ClipStore, indices: ArrayLike<number>, training: { augment: Rng | null; frames: Rng } | null): Batch & { labelValues: Int32Array } {
    const labelValues = this.labels(store, indices);
    const labels = tf.tensor1d(labelValues, 'int32');
    const audio = this.branch('audio', store, indices, training);
    const visual = this.branch('visual', store, indices, training);
    if (visual.rank !== 5) throw new Error(`the second branch takes frames, not a ${this.options.stored.modalities[1]}`);
    return {
      audio,
      visual: visual as tf.Tensor5D,
      labels,
      oneHot: tf.tidy(() => tf.cast(tf.oneHot(labels, this.options.numClasses), 'float32') as tf.Tensor2D),
      labelValues,
    };
  }
}

export function disposeBatch(batch: Batch): void {
  batch.audio.dispose();
  batch.visual.dispose();
  batch.labels.dispose();
  batch.oneHot.dispose();
}
