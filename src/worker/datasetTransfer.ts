/**
 * Packs a Dataset (decoded on the page) into a few flat buffers for `postMessage`, and unpacks it in the worker
 * as ArrayClipStores over views of those buffers, so a large dataset crosses the thread boundary without a copy.
 * A split travels as its spectrograms (when the modalities have one) and, per frame kind, its frames back to back.
 */
import { ArrayClipStore, frameBytes, type ClipArrays, type ClipStore, type Dataset, type DatasetShape } from '../core/dataset';
import { frameKinds, hasSpectrogram, type FrameKind } from '../core/modalities';
import type { TransferDataset, TransferFrames, TransferSplit } from './protocol';

function packFrames(store: ClipStore, kind: FrameKind, bytes: number, what: string): TransferFrames {
  const n = store.size;
  const counts = new Int32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    counts[i] = store.frameCount(i, kind);
    total += counts[i];
  }
  const data = new Uint8Array(total * bytes);
  let at = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < counts[i]; j++) {
      const frame = store.readFrame(i, j, kind);
      if (frame.length !== bytes) throw new Error(`${what} clip ${i} ${kind} frame ${j}: expected ${bytes} bytes (frameSize^2 x channels), found ${frame.length}`);
      data.set(frame, at);
      at += bytes;
    }
  }
  return { data, counts };
}

function packSplit(store: ClipStore, shape: DatasetShape, what: string): TransferSplit {
  const audioSize = hasSpectrogram(shape.modalities) ? shape.audioHeight * shape.audioWidth : 0;
  const audio = new Float32Array(store.size * audioSize);
  if (audioSize) for (let i = 0; i < store.size; i++) store.readAudio(i, audio, i * audioSize);
  const frames: TransferSplit['frames'] = {};
  for (const kind of frameKinds(shape.modalities)) frames[kind] = packFrames(store, kind, frameBytes(shape, kind), what);
  return { labels: Int32Array.from(store.labels), audio, frames };
}

function splitBuffers(s: TransferSplit): ArrayBuffer[] {
  return [s.labels.buffer, s.audio.buffer, ...Object.values(s.frames).flatMap((f) => [f.data.buffer, f.counts.buffer])] as ArrayBuffer[];
}

/** The dataset as flat buffers, and the list of buffers to pass as `postMessage`'s transfer list. */
export function packDataset(dataset: Dataset): { packed: TransferDataset; transfer: ArrayBuffer[] } {
  const train = packSplit(dataset.train, dataset, 'train');
  const test = packSplit(dataset.test, dataset, 'test');
  const packed: TransferDataset = {
    name: dataset.name,
    classNames: [...dataset.classNames],
    modalities: dataset.modalities,
    audioHeight: dataset.audioHeight,
    audioWidth: dataset.audioWidth,
    frameSize: dataset.frameSize,
    train,
    test,
  };
  return { packed, transfer: [...splitBuffers(train), ...splitBuffers(test)] };
}

function unpackFrames(f: TransferFrames | undefined, n: number, bytes: number, what: string): Uint8Array[][] {
  if (!f) throw new Error(`${what}: no frames`);
  if (f.counts.length !== n) throw new Error(`${what}: ${n} clips but ${f.counts.length} frame counts`);
  const out: Uint8Array[][] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const clip: Uint8Array[] = [];
    for (let j = 0; j < f.counts[i]; j++) {
      clip.push(f.data.subarray(at, at + bytes));
      at += bytes;
    }
    out.push(clip);
  }
  if (at !== f.data.length) throw new Error(`${what}: frame counts cover ${at} bytes but the frame buffer holds ${f.data.length}`);
  return out;
}

function unpackSplit(split: TransferSplit, shape: DatasetShape, what: string): ArrayClipStore {
  const n = split.labels.length;
  const arrays: { -readonly [K in keyof ClipArrays]: ClipArrays[K] } = {};
  if (hasSpectrogram(shape.modalities)) {
    const audioSize = shape.audioHeight * shape.audioWidth;
    if (split.audio.length !== n * audioSize) throw new Error(`${what}: ${n} clips need ${n * audioSize} spectrogram values, found ${split.audio.length}`);
    arrays.spectrograms = Array.from({ length: n }, (_, i) => split.audio.subarray(i * audioSize, (i + 1) * audioSize));
  }
  for (const kind of frameKinds(shape.modalities)) arrays[kind] = unpackFrames(split.frames[kind], n, frameBytes(shape, kind), `${what} (${kind})`);
  return new ArrayClipStore(split.labels, arrays);
}

/** The worker-side Dataset over views of the transferred buffers (no copy). */
export function unpackDataset(packed: TransferDataset): Dataset {
  return {
    name: packed.name,
    classNames: packed.classNames,
    modalities: packed.modalities,
    audioHeight: packed.audioHeight,
    audioWidth: packed.audioWidth,
    frameSize: packed.frameSize,
    train: unpackSplit(packed.train, packed, 'train split'),
    test: unpackSplit(packed.test, packed, 'test split'),
  };
}
