/**
 * The engine's view of a dataset: two splits of clips held in memory, each clip holding the two branches'
 * inputs (`modalities`, see modalities.ts): a log-magnitude spectrogram (audio, H x W float32) and/or frames of
 * one or two kinds (RGB, optical flow: uint8, S x S x C, in time order). The demo generator, the decoders of real
 * folders and dataset packs all produce this, so the engine trains on any of them the same way.
 */
import type { FrameKind, ModalityPair } from './modalities';
import { frameKinds, KIND_CHANNELS } from './modalities';

/** One split's clips. Implementations may store compactly (e.g. float16); reads return float32 / uint8. */
export interface ClipStore {
  readonly size: number;
  /** Class index per clip. */
  readonly labels: Int32Array;
  /** Copies clip i's spectrogram (H*W floats, row-major, H = frequency) into `out` at `offset` (pairs with a spectrogram). */
  readAudio(i: number, out: Float32Array, offset: number): void;
  /** Number of frames of `kind` stored for clip i (>= 1). */
  frameCount(i: number, kind: FrameKind): number;
  /** Frame j of `kind` of clip i, row-major S x S x C uint8 at the dataset's stored size. */
  readFrame(i: number, j: number, kind: FrameKind): Uint8Array;
}

/** What a dataset is, apart from its clips: names, the branches' kinds and stored sizes (shared by every form a dataset travels in). */
export interface DatasetShape {
  name: string;
  classNames: string[];
  /** The first and second branch's kinds. */
  modalities: ModalityPair;
  /** Stored spectrogram size (0 x 0 without a spectrogram); the engine resizes to the config's audio size when they differ. */
  audioHeight: number;
  audioWidth: number;
  /** Stored size S of every frame kind (square frames). */
  frameSize: number;
}

export interface Dataset extends DatasetShape {
  train: ClipStore;
  test: ClipStore;
}

/** Bytes of one stored frame of `kind`. */
export function frameBytes(shape: Pick<DatasetShape, 'frameSize'>, kind: FrameKind): number {
  return shape.frameSize * shape.frameSize * KIND_CHANNELS[kind];
}

/** Bytes of one stored frame of each frame kind the modalities name. */
export function frameBytesByKind(shape: Pick<DatasetShape, 'frameSize' | 'modalities'>): Partial<Record<FrameKind, number>> {
  const out: Partial<Record<FrameKind, number>> = {};
  for (const kind of frameKinds(shape.modalities)) out[kind] = frameBytes(shape, kind);
  return out;
}

/** The clips' data in plain arrays: spectrograms float32 [H*W] per clip, frames uint8 per clip and kind [T_i][S*S*C]. */
export interface ClipArrays {
  spectrograms?: readonly Float32Array[];
  rgb?: readonly Uint8Array[][];
  flow?: readonly Uint8Array[][];
}

/** A ClipStore over plain arrays. */
export class ArrayClipStore implements ClipStore {
  readonly size: number;

  constructor(
    readonly labels: Int32Array,
    private readonly arrays: ClipArrays,
  ) {
    this.size = labels.length;
    for (const [key, list] of Object.entries(arrays) as [string, readonly unknown[] | undefined][]) {
      if (list && list.length !== labels.length) throw new Error(`ArrayClipStore: ${labels.length} labels but ${list.length} ${key === 'spectrograms' ? 'spectrograms' : `${key} frame lists`}`);
    }
  }

  readAudio(i: number, out: Float32Array, offset: number): void {
    if (!this.arrays.spectrograms) throw new Error('this dataset has no spectrograms');
    out.set(this.arrays.spectrograms[i], offset);
  }

  private frames(kind: FrameKind): readonly Uint8Array[][] {
    const list = this.arrays[kind];
    if (!list) throw new Error(`this dataset has no ${kind} frames`);
    return list;
  }

  frameCount(i: number, kind: FrameKind): number {
    return this.frames(kind)[i].length;
  }

  readFrame(i: number, j: number, kind: FrameKind): Uint8Array {
    return this.frames(kind)[i][j];
  }
}
