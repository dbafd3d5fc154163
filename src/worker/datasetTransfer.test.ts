import { describe, expect, it } from 'vitest';
import { ArrayClipStore, type Dataset } from '../core/dataset';
import { AUDIO_RGB, frameKinds, hasSpectrogram, RGB_FLOW, type ModalityPair } from '../core/modalities';
import { packDataset, unpackDataset } from './datasetTransfer';

const H = 2;
const W = 3;
const S = 2;
const spec = (v: number) => Float32Array.from({ length: H * W }, (_, i) => v + i / 10);
const frame = (v: number, c: number) => Uint8Array.from({ length: S * S * c }, (_, i) => (v * 16 + i) % 256);

function dataset(modalities: ModalityPair = AUDIO_RGB): Dataset {
  const spectrogram = hasSpectrogram(modalities);
  const store = (labels: number[], specs: number[], rgb: number[][], flow: number[][]) =>
    new ArrayClipStore(Int32Array.from(labels), {
      ...(spectrogram ? { spectrograms: specs.map(spec) } : {}),
      rgb: rgb.map((c) => c.map((v) => frame(v, 3))),
      ...(modalities[1] === 'flow' ? { flow: flow.map((c) => c.map((v) => frame(v, 2))) } : {}),
    });
  return {
    name: 'toy',
    classNames: ['x', 'y'],
    modalities,
    audioHeight: spectrogram ? H : 0,
    audioWidth: spectrogram ? W : 0,
    frameSize: S,
    train: store([0, 1, 1], [1, 2, 3], [[1], [2, 3], [4]], [[5, 6], [7], [8, 9, 10]]),
    test: store([1], [9], [[9, 10, 11]], [[12]]),
  };
}

function expectSameClips(a: Dataset, b: Dataset): void {
  for (const split of ['train', 'test'] as const) {
    expect(b[split].size).toBe(a[split].size);
    expect(Array.from(b[split].labels)).toEqual(Array.from(a[split].labels));
    for (let i = 0; i < a[split].size; i++) {
      if (hasSpectrogram(a.modalities)) {
        const x = new Float32Array(H * W);
        const y = new Float32Array(H * W);
        a[split].readAudio(i, x, 0);
        b[split].readAudio(i, y, 0);
        expect(Array.from(y)).toEqual(Array.from(x));
      }
      for (const kind of frameKinds(a.modalities)) {
        expect(b[split].frameCount(i, kind)).toBe(a[split].frameCount(i, kind));
        for (let j = 0; j < a[split].frameCount(i, kind); j++) expect(Array.from(b[split].readFrame(i, j, kind))).toEqual(Array.from(a[split].readFrame(i, j, kind)));
      }
    }
  }
}

describe('packDataset / unpackDataset', () => {
  it('round-trips clips with varying frame counts', () => {
    const original = dataset();
    const { packed, transfer } = packDataset(original);
    expect(transfer).toHaveLength(8);
    expect(Array.from(packed.train.frames.rgb!.counts)).toEqual([1, 2, 1]);
    const back = unpackDataset(structuredClone(packed));
    expect(back.name).toBe('toy');
    expect(back.classNames).toEqual(['x', 'y']);
    expect(back.modalities).toEqual(AUDIO_RGB);
    expectSameClips(original, back);
  });

  it('round-trips RGB + flow: both frame kinds, each with its own counts, and no spectrograms', () => {
    const original = dataset(RGB_FLOW);
    const { packed, transfer } = packDataset(original);
    expect(transfer).toHaveLength(12);
    expect(packed.train.audio.length).toBe(0);
    expect(Array.from(packed.train.frames.rgb!.counts)).toEqual([1, 2, 1]);
    expect(Array.from(packed.train.frames.flow!.counts)).toEqual([2, 1, 3]);
    expect(packed.train.frames.flow!.data.length).toBe(6 * S * S * 2);
    const back = unpackDataset(structuredClone(packed));
    expect(back.modalities).toEqual(RGB_FLOW);
    expectSameClips(original, back);
    expect(() => back.train.readAudio(0, new Float32Array(6), 0)).toThrow('this dataset has no spectrograms');
  });

  it('names the mismatch when buffers do not fit the sizes', () => {
    const { packed } = packDataset(dataset());
    expect(() => unpackDataset({ ...packed, audioWidth: 4 })).toThrow(/train split: 3 clips need 24 spectrogram values, found 18/);
    const rgb = { ...packed.test.frames.rgb!, data: packed.test.frames.rgb!.data.slice(0, 12) };
    expect(() => unpackDataset({ ...packed, test: { ...packed.test, frames: { rgb } } })).toThrow(/test split \(rgb\): frame counts cover 36 bytes but the frame buffer holds 12/);
    expect(() => unpackDataset({ ...packed, modalities: RGB_FLOW })).toThrow(/train split \(flow\): no frames/);
  });

  it('rejects a frame of the wrong size when packing', () => {
    const d = dataset();
    const bad: Dataset = { ...d, test: new ArrayClipStore(new Int32Array([0]), { spectrograms: [new Float32Array(6)], rgb: [[new Uint8Array(5)]] }) };
    expect(() => packDataset(bad)).toThrow(/test clip 0 rgb frame 0: expected 12 bytes/);
  });
});
