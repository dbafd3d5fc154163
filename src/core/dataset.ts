/**
 * The engine's view of a dataset: two splits of clips held in memory, each clip a log-magnitude spectrogram
 * (audio, H x W) and one or more frames (uint8, S x S x C, in time order). The demo generator and the decoders of
 * real folders both produce this, so the engine trains on either the same way.
 */

/** One split's clips. Implementations may store compactly (e.g. float16); reads return float32 / uint8. */
export interface ClipStore {
  readonly size: number;
  /** Class index per clip. */
  readonly labels: Int32Array;
  /** Copies clip i's spectrogram (H*W floats, row-major, H = frequency) into `out` at `offset`. */
  readAudio(i: number, out: Float32Array, offset: number): void;
  /** Number of frames stored for clip i (>= 1). */
  frameCount(i: number): number;
  /** Frame j of clip i, row-major H x W x C uint8 at the dataset's stored size. */
  readFrame(i: number, j: number): Uint8Array;
}

/** What a dataset is, apart from its clips: names and stored sizes (shared by every form a dataset travels in). */
export interface DatasetShape {
  name: string;
  classNames: string[];
  /** Stored spectrogram size; the engine resizes to the config's audio size when they differ. */
  audioHeight: number;
  audioWidth: number;
  /** Stored frame size (square) and channels: 3 = RGB, 2 = optical flow (u, v; 128 = no motion). */
  frameSize: number;
  frameChannels: 2 | 3;
}

export interface Dataset extends DatasetShape {
  train: ClipStore;
  test: ClipStore;
}

/** A ClipStore over plain arrays: spectrograms float32 [n, H*W], frames uint8 per clip [T_i, S*S*C]. */
export class ArrayClipStore implements ClipStore {
  readonly size: number;

  constructor(
    readonly labels: Int32Array,
    private readonly spectrograms: Float32Array[],
    private readonly frames: Uint8Array[][],
  ) {
    if (spectrograms.length !== labels.length || frames.length !== labels.length) {
      throw new Error(`ArrayClipStore: ${labels.length} labels but ${spectrograms.length} spectrograms and ${frames.length} frame lists`);
    }
    this.size = labels.length;
  }

  readAudio(i: number, out: Float32Array, offset: number): void {
    out.set(this.spectrograms[i], offset);
  }

  frameCount(i: number): number {
    return this.frames[i].length;
  }

  readFrame(i: number, j: number): Uint8Array {
    return this.frames[i][j];
  }
}
