import { describe, expect, it } from 'vitest';
import { ArrayClipStore, type Dataset } from '../core/dataset';
import { packDataset, unpackDataset } from './datasetTransfer';

function dataset(): Dataset {
  const H = 2;
  const W = 3;
  const S = 2;
  const C = 3;
  const spec = (v: number) => Float32Array.from({ length: H * W }, (_, i) => v + i / 10);
  const frame = (v: number) => Uint8Array.from({ length: S * S * C }, (_, i) => (v * 16 + i) % 256);
  return {
    name: 'toy',
    classNames: ['x', 'y'],
    audioHeight: H,
    audioWidth: W,
    frameSize: S,
    frameChannels: C,
    train: new ArrayClipStore(new Int32Array([0, 1, 1]), [spec(1), spec(2), spec(3)], [[frame(1)], [frame(2), frame(3)], [frame(4)]]),
    test: new ArrayClipStore(new Int32Array([1]), [spec(9)], [[frame(9), frame(10), frame(11)]]),
  };
}

describe('packDataset / unpackDataset', () => {
  it('round-trips clips with varying frame counts', () => {
    const original = dataset();
    const { packed, transfer } = packDataset(original);
    expect(transfer).toHaveLength(8);
    expect(Array.from(packed.train.frameCounts)).toEqual([1, 2, 1]);
    const back = unpackDataset(structuredClone(packed));
    expect(back.name).toBe('toy');
    expect(back.classNames).toEqual(['x', 'y']);
    for (const split of ['train', 'test'] as const) {
      const a = original[split];
      const b = back[split];
      expect(b.size).toBe(a.size);
      expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
      for (let i = 0; i < a.size; i++) {
        const x = new Float32Array(6);
        const y = new Float32Array(6);
        a.readAudio(i, x, 0);
        b.readAudio(i, y, 0);
        expect(Array.from(y)).toEqual(Array.from(x));
        expect(b.frameCount(i)).toBe(a.frameCount(i));
        for (let j = 0; j < a.frameCount(i); j++) expect(Array.from(b.readFrame(i, j))).toEqual(Array.from(a.readFrame(i, j)));
      }
    }
  });

  it('names the mismatch when buffers do not fit the sizes', () => {
    const { packed } = packDataset(dataset());
    expect(() => unpackDataset({ ...packed, audioWidth: 4 })).toThrow(/train split: 3 clips need 24 spectrogram values, found 18/);
    const frames = packed.test.frames.slice(0, 12);
    expect(() => unpackDataset({ ...packed, test: { ...packed.test, frames } })).toThrow(/test split/);
  });

  it('rejects a frame of the wrong size when packing', () => {
    const d = dataset();
    const bad: Dataset = { ...d, test: new ArrayClipStore(new Int32Array([0]), [new Float32Array(6)], [[new Uint8Array(5)]]) };
    expect(() => packDataset(bad)).toThrow(/test clip 0 frame 0: expected 12 bytes/);
  });
});
