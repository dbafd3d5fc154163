import { describe, expect, it } from 'vitest';
import { ArrayClipStore, type Dataset } from '../core/dataset';
import { datasetEntry } from './datasetEntry';
import { AUDIO_RGB } from '../core/modalities';

const toy = (): Dataset => ({
  name: 'clips',
  classNames: ['a', 'b'],
  audioHeight: 2,
  audioWidth: 2,
  frameSize: 1,
  modalities: AUDIO_RGB,
  train: new ArrayClipStore(new Int32Array([0, 1]), { spectrograms: [new Float32Array(4), new Float32Array(4)], rgb: [[new Uint8Array(3)], [new Uint8Array(3)]] }),
  test: new ArrayClipStore(new Int32Array([1]), { spectrograms: [new Float32Array(4)], rgb: [[new Uint8Array(3)]] }),
});

describe('datasetEntry', () => {
  it('packs the dataset for the worker and describes it', () => {
    const e = datasetEntry(toy(), 3);
    expect(e.name).toBe('clips');
    expect(e.description).toBe('2 train / 1 test clips, 2 classes, decoded from a dropped folder, 3 files ignored');
    expect(e.source.kind).toBe('transfer');
    if (e.source.kind === 'transfer') expect(Array.from(e.source.train.labels)).toEqual([0, 1]);
  });

  it('gives every added dataset its own id', () => {
    expect(datasetEntry(toy()).id).not.toBe(datasetEntry(toy()).id);
  });
});
