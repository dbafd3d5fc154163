/**
 * Packs a Dataset (decoded on the page) into a few flat buffers for `postMessage`, and unpacks it in the worker
 * as ArrayClipStores over views of those buffers, so a large dataset crosses the thread boundary without a copy.
 */
import { ArrayClipStore, type ClipStore, type Dataset } from '../core/dataset';
import type { TransferDataset, TransferSplit } from './protocol';

function packSplit(store: ClipStore, audioSize: number, frameBytes: number, what: string): TransferSplit {
  const n = store.size;
  const audio = new Float32Array(n * audioSize);
  const frameCounts = new Int32Array(n);
  let totalFrames = 0;
  for (let i = 0; i < n; i++) {
    frameCounts[i] = store.frameCount(i);
    totalFrames += frameCounts[i];
  }
  const frames = new Uint8Array(totalFrames * frameBytes);
  let at = 0;
  for (let i = 0; i < n; i++) {
    store.readAudio(i, audio, i * audioSize);
    for (let j = 0; j < frameCounts[i]; j++) {
      const frame = store.readFrame(i, j);
      if (frame.length !== frameBytes) {
        throw new Error(`${what} clip ${i} frame ${j}: expected ${frameBytes} bytes (frameSize^2 x channels), found ${frame.length}`);
      }
      frames.set(frame, at);
      at += frameBytes;
    }
  }
  return { labels: Int32Array.from(store.labels), audio, frames, frameCounts };
}

/** The dataset as flat buffers, and the list of buffers to pass as `postMessage`'s transfer list. */
export function packDataset(dataset: Dataset): { packed: TransferDataset; transfer: ArrayBuffer[] } {
  const audioSize = dataset.audioHeight * dataset.audioWidth;
  const frameBytes = dataset.frameSize * dataset.frameSize * dataset.frameChannels;
  const train = packSplit(dataset.train, audioSize, frameBytes, 'train');
  const test = packSplit(dataset.test, audioSize, frameBytes, 'test');
  const packed: TransferDataset = {
    name: dataset.name,
    classNames: [...dataset.classNames],
    audioHeight: dataset.audioHeight,
    audioWidth: dataset.audioWidth,
    frameSize: dataset.frameSize,
    frameChannels: dataset.frameChannels,
    train,
    test,
  };
  const transfer = [train, test].flatMap((s) => [s.labels.buffer, s.audio.buffer, s.frames.buffer, s.frameCounts.buffer]) as ArrayBuffer[];
  return { packed, transfer };
}

function unpackSplit(split: TransferSplit, audioSize: number, frameBytes: number, what: string): ArrayClipStore {
  const n = split.labels.length;
  if (split.audio.length !== n * audioSize) {
    throw new Error(`${what}: ${n} clips need ${n * audioSize} spectrogram values, found ${split.audio.length}`);
  }
  if (split.frameCounts.length !== n) throw new Error(`${what}: ${n} clips but ${split.frameCounts.length} frame counts`);
  const spectrograms: Float32Array[] = [];
  const frames: Uint8Array[][] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    spectrograms.push(split.audio.subarray(i * audioSize, (i + 1) * audioSize));
    const clip: Uint8Array[] = [];
    for (let j = 0; j < split.frameCounts[i]; j++) {
      clip.push(split.frames.subarray(at, at + frameBytes));
      at += frameBytes;
    }
    frames.push(clip);
  }
  if (at !== split.frames.length) throw new Error(`${what}: frame counts cover ${at} bytes but the frame buffer holds ${split.frames.length}`);
  return new ArrayClipStore(split.labels, spectrograms, frames);
}

/** The worker-side Dataset over views of the transferred buffers (no copy). */
export function unpackDataset(packed: TransferDataset): Dataset {
  const audioSize = packed.audioHeight * packed.audioWidth;
  const frameBytes = packed.frameSize * packed.frameSize * packed.frameChannels;
  return {
    name: packed.name,
    classNames: packed.classNames,
    audioHeight: packed.audioHeight,
    audioWidth: packed.audioWidth,
    frameSize: packed.frameSize,
    frameChannels: packed.frameChannels,
    train: unpackSplit(packed.train, audioSize, frameBytes, 'train split'),
    test: unpackSplit(packed.test, audioSize, frameBytes, 'test split'),
  };
}
