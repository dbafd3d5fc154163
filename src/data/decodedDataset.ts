/**
 * The engine's Dataset over clips decoded from dropped folders: spectrograms kept as 16-bit codes
 * (decode/spectrogramCodec.ts) and expanded to float32 on read, frames kept as uint8 S x S x C. Class names come
 * from the plan, so the charts and the UMAP legend show the dataset's own classes.
 */
import type { ClipStore, Dataset, DatasetShape } from '../core/dataset';
import { dequantizeSpectrogram } from './decode/spectrogramCodec';
import type { SplitName } from './layouts';

/** One decoded clip. */
export interface DecodedClip {
  id: string;
  label: number;
  split: SplitName;
  /** Quantized log spectrogram, audioHeight x audioWidth, row-major (H = frequency). */
  spectrogram: Uint16Array;
  /** `frameCount` frames back to back, each frameSize x frameSize x frameChannels uint8. */
  frames: Uint8Array;
  frameCount: number;
}

export interface DecodedDatasetSpec extends DatasetShape {
  /** In the order the stores keep them (pass them in plan order for a reproducible dataset). */
  clips: readonly DecodedClip[];
}

/** A split's clips with 16-bit spectrograms. */
export class QuantizedClipStore implements ClipStore {
  readonly size: number;
  readonly labels: Int32Array;
  readonly ids: string[];
  private readonly spectrograms: Uint16Array[];
  private readonly frames: Uint8Array[];
  private readonly counts: Int32Array;

  constructor(
    clips: readonly DecodedClip[],
    private readonly frameBytes: number,
  ) {
    this.size = clips.length;
    this.labels = Int32Array.from(clips, (c) => c.label);
    this.ids = clips.map((c) => c.id);
    this.spectrograms = clips.map((c) => c.spectrogram);
    this.frames = clips.map((c) => c.frames);
    this.counts = Int32Array.from(clips, (c) => c.frameCount);
  }

  readAudio(i: number, out: Float32Array, offset: number): void {
    dequantizeSpectrogram(this.spectrograms[i], out, offset);
  }

  frameCount(i: number): number {
    return this.counts[i];
  }

  readFrame(i: number, j: number): Uint8Array {
    if (j < 0 || j >= this.counts[i]) throw new RangeError(`clip ${this.ids[i]}: frame ${j} of ${this.counts[i]}`);
    return this.frames[i].subarray(j * this.frameBytes, (j + 1) * this.frameBytes);
  }

  /** Bytes held by the split's tensors. */
  bytes(): number {
    let total = 0;
    for (let i = 0; i < this.size; i++) total += this.spectrograms[i].byteLength + this.counts[i] * this.frameBytes;
    return total;
  }
}

/** Builds the Dataset; throws naming the first clip whose tensors do not have the declared sizes or label. */
export function buildDecodedDataset(spec: DecodedDatasetSpec): Dataset & { train: QuantizedClipStore; test: QuantizedClipStore } {
  const audioSize = spec.audioHeight * spec.audioWidth;
  const frameBytes = spec.frameSize * spec.frameSize * spec.frameChannels;
  for (const c of spec.clips) {
    if (c.spectrogram.length !== audioSize) {
      throw new Error(`decoded clip ${c.id}: spectrogram has ${c.spectrogram.length} values, expected ${spec.audioHeight} x ${spec.audioWidth}`);
    }
    if (!(c.frameCount >= 1) || c.frames.length !== c.frameCount * frameBytes) {
      throw new Error(
        `decoded clip ${c.id}: ${c.frames.length} frame bytes for ${c.frameCount} frames, expected ${frameBytes} per frame ` +
          `(${spec.frameSize} x ${spec.frameSize} x ${spec.frameChannels})`,
      );
    }
    if (!Number.isInteger(c.label) || c.label < 0 || c.label >= spec.classNames.length) {
      throw new Error(`decoded clip ${c.id}: label ${c.label} is not one of the ${spec.classNames.length} classes`);
    }
  }
  return {
    name: spec.name,
    classNames: [...spec.classNames],
    audioHeight: spec.audioHeight,
    audioWidth: spec.audioWidth,
    frameSize: spec.frameSize,
    frameChannels: spec.frameChannels,
    train: new QuantizedClipStore(
      spec.clips.filter((c) => c.split === 'train'),
      frameBytes,
    ),
    test: new QuantizedClipStore(
      spec.clips.filter((c) => c.split === 'test'),
      frameBytes,
    ),
  };
}
