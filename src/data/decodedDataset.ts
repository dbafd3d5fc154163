/**
 * The engine's Dataset over clips decoded from dropped folders: spectrograms kept as 16-bit codes
 * (decode/spectrogramCodec.ts) and expanded to float32 on read, frames kept as uint8 S x S x C per frame kind.
 * Class names come from the plan, so the charts and the UMAP legend show the dataset's own classes.
 */
import { frameBytes, frameBytesByKind, type ClipStore, type Dataset, type DatasetShape } from '../core/dataset';
import { frameKinds, hasSpectrogram, type FrameKind } from '../core/modalities';
import { dequantizeSpectrogram } from './decode/spectrogramCodec';
import type { SplitName } from './layouts';

/** One frame kind of a decoded clip: `count` frames of S x S x C uint8, back to back, in time order. */
export interface FrameRun {
  data: Uint8Array;
  count: number;
}

/** What decoding one clip gives, for the dataset's modalities (the decoder, the caches and the store share it). */
export interface DecodedTensors {
  /** Quantized log spectrogram, audioHeight x audioWidth, row-major (H = frequency); empty without a spectrogram. */
  spectrogram: Uint16Array;
  /** The frames of each frame kind the modalities name. */
  frames: Partial<Record<FrameKind, FrameRun>>;
}

/** One decoded clip. */
export interface DecodedClip extends DecodedTensors {
  id: string;
  label: number;
  split: SplitName;
}

export interface DecodedDatasetSpec extends DatasetShape {
  /** In the order the stores keep them (pass them in plan order for a reproducible dataset). */
  clips: readonly DecodedClip[];
}

/**
 * Why decoded tensors do not fit the shape they were decoded for, or null when they do: the spectrogram's size and,
 * for each frame kind of the modalities, at least one frame of S x S x C bytes.
 */
export function tensorsMismatch(t: DecodedTensors, shape: DatasetShape): string | null {
  const audioSize = hasSpectrogram(shape.modalities) ? shape.audioHeight * shape.audioWidth : 0;
  if (!(t.spectrogram instanceof Uint16Array) || t.spectrogram.length !== audioSize) {
    return audioSize ? `spectrogram has ${t.spectrogram?.length ?? 0} values, expected ${shape.audioHeight} x ${shape.audioWidth}` : `a spectrogram of ${t.spectrogram?.length} values, expected none`;
  }
  for (const kind of frameKinds(shape.modalities)) {
    const run = t.frames?.[kind];
    if (!run) return `no ${kind} frames`;
    const bytes = frameBytes(shape, kind);
    if (!Number.isInteger(run.count) || run.count < 1) return `${run.count} ${kind} frames, expected at least 1`;
    if (!(run.data instanceof Uint8Array) || run.data.length !== run.count * bytes) {
      return `${run.data?.length ?? 0} ${kind} frame bytes for ${run.count} frames, expected ${bytes} per frame (${shape.frameSize} x ${shape.frameSize} ${kind})`;
    }
  }
  return null;
}

/** A split's clips with 16-bit spectrograms. */
export class QuantizedClipStore implements ClipStore {
  readonly size: number;
  readonly labels: Int32Array;
  readonly ids: string[];
  private readonly clips: readonly DecodedClip[];

  constructor(
    clips: readonly DecodedClip[],
    private readonly bytesOf: Partial<Record<FrameKind, number>>,
  ) {
    this.size = clips.length;
    this.labels = Int32Array.from(clips, (c) => c.label);
    this.ids = clips.map((c) => c.id);
    this.clips = clips;
  }

  readAudio(i: number, out: Float32Array, offset: number): void {
    const codes = this.clips[i].spectrogram;
    if (codes.length === 0) throw new Error('this dataset has no spectrograms');
    dequantizeSpectrogram(codes, out, offset);
  }

  private run(i: number, kind: FrameKind): FrameRun {
    const run = this.clips[i].frames[kind];
    if (!run) throw new Error(`this dataset has no ${kind} frames`);
    return run;
  }

  frameCount(i: number, kind: FrameKind): number {
    return this.run(i, kind).count;
  }

  readFrame(i: number, j: number, kind: FrameKind): Uint8Array {
    const run = this.run(i, kind);
    const bytes = this.bytesOf[kind]!;
    if (j < 0 || j >= run.count) throw new RangeError(`clip ${this.ids[i]}: ${kind} frame ${j} of ${run.count}`);
    return run.data.subarray(j * bytes, (j + 1) * bytes);
  }

  /** Bytes held by the split's tensors. */
  bytes(): number {
    let total = 0;
    for (const c of this.clips) total += c.spectrogram.byteLength + Object.values(c.frames).reduce((s, r) => s + r.data.byteLength, 0);
    return total;
  }
}

/** Builds the Dataset; throws naming the first clip whose tensors do not have the declared sizes or label. */
export function buildDecodedDataset(spec: DecodedDatasetSpec): Dataset & { train: QuantizedClipStore; test: QuantizedClipStore } {
  const shape: DatasetShape = { name: spec.name, classNames: [...spec.classNames], modalities: spec.modalities, audioHeight: spec.audioHeight, audioWidth: spec.audioWidth, frameSize: spec.frameSize };
  for (const c of spec.clips) {
    const mismatch = tensorsMismatch(c, shape);
    if (mismatch) throw new Error(`decoded clip ${c.id}: ${mismatch}`);
    if (!Number.isInteger(c.label) || c.label < 0 || c.label >= spec.classNames.length) {
      throw new Error(`decoded clip ${c.id}: label ${c.label} is not one of the ${spec.classNames.length} classes`);
    }
  }
  const bytesOf = frameBytesByKind(spec);
  return {
    ...shape,
    train: new QuantizedClipStore(
      spec.clips.filter((c) => c.split === 'train'),
      bytesOf,
    ),
    test: new QuantizedClipStore(
      spec.clips.filter((c) => c.split === 'test'),
      bytesOf,
    ),
  };
}
