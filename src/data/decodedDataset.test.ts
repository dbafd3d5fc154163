import { describe, expect, it } from 'vitest';
import { unpackDataset, packDataset } from '../worker/datasetTransfer';
import { buildDecodedDataset, type DecodedClip } from './decodedDataset';
import { quantizeSpectrogram, SPEC_QUANT_MAX_ERROR } from './decode/spectrogramCodec';

const H = 4;
const W = 3;
const S = 2;

function clip(id: string, label: number, split: 'train' | 'test', frameCount: number, channels = 3): DecodedClip & { spec: Float32Array } {
  const spec = Float32Array.from({ length: H * W }, (_, i) => -10 + i + label * 0.25);
  const frames = Uint8Array.from({ length: frameCount * S * S * channels }, (_, i) => (i * 7 + label) % 256);
  return { id, label, split, spectrogram: quantizeSpectrogram(spec), frames, frameCount, spec };
}

describe('buildDecodedDataset', () => {
  const clips = [clip('a', 0, 'train', 2), clip('b', 1, 'test', 1), clip('c', 1, 'train', 3), clip('d', 0, 'test', 1)];
  const ds = buildDecodedDataset({ name: 'mine', classNames: ['cat', 'dog'], audioHeight: H, audioWidth: W, frameSize: S, frameChannels: 3, clips });

  it('splits in the given order, with the plan class names and sizes', () => {
    expect(ds.name).toBe('mine');
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect([ds.audioHeight, ds.audioWidth, ds.frameSize, ds.frameChannels]).toEqual([H, W, S, 3]);
    expect(ds.train.ids).toEqual(['a', 'c']);
    expect(ds.test.ids).toEqual(['b', 'd']);
    expect([...ds.train.labels]).toEqual([0, 1]);
    expect([...ds.test.labels]).toEqual([1, 0]);
  });

  it('reads spectrograms back as float32 within the codec error, at an offset', () => {
    const out = new Float32Array(2 * H * W);
    ds.train.readAudio(1, out, H * W);
    const want = clips[2].spec;
    for (let i = 0; i < H * W; i++) expect(Math.abs(out[H * W + i] - want[i])).toBeLessThanOrEqual(SPEC_QUANT_MAX_ERROR);
  });

  it('reads each frame as a view of S x S x C bytes', () => {
    expect(ds.train.frameCount(1)).toBe(3);
    const f = ds.train.readFrame(1, 2);
    expect(f.length).toBe(S * S * 3);
    expect([...f]).toEqual([...clips[2].frames.subarray(2 * S * S * 3)]);
    expect(() => ds.train.readFrame(1, 3)).toThrow(RangeError);
    expect(ds.train.bytes()).toBe(2 * (2 * H * W) + 5 * S * S * 3);
  });

  it('packs for the training worker like any Dataset', () => {
    const { packed } = packDataset(ds);
    const back = unpackDataset(packed);
    expect(back.classNames).toEqual(['cat', 'dog']);
    expect(back.train.size).toBe(2);
    expect(back.train.frameCount(0)).toBe(2);
    const out = new Float32Array(H * W);
    back.test.readAudio(0, out, 0);
    for (let i = 0; i < H * W; i++) expect(Math.abs(out[i] - clips[1].spec[i])).toBeLessThanOrEqual(SPEC_QUANT_MAX_ERROR);
  });

  it('supports 2-channel flow frames', () => {
    const flow = buildDecodedDataset({
      name: 'ucf',
      classNames: ['x'],
      audioHeight: H,
      audioWidth: W,
      frameSize: S,
      frameChannels: 2,
      clips: [clip('f', 0, 'train', 2, 2)],
    });
    expect(flow.frameChannels).toBe(2);
    expect(flow.train.readFrame(0, 1).length).toBe(S * S * 2);
  });

  it('names the clip when sizes or labels are wrong', () => {
    const base = { name: 'x', classNames: ['a', 'b'], audioHeight: H, audioWidth: W, frameSize: S, frameChannels: 3 as const };
    expect(() => buildDecodedDataset({ ...base, clips: [{ ...clip('bad-audio', 0, 'train', 1), spectrogram: new Uint16Array(5) }] })).toThrow(
      /bad-audio: spectrogram has 5 values, expected 4 x 3/,
    );
    expect(() => buildDecodedDataset({ ...base, clips: [{ ...clip('bad-frames', 0, 'train', 1), frameCount: 2 }] })).toThrow(/bad-frames: 12 frame bytes for 2 frames/);
    expect(() => buildDecodedDataset({ ...base, clips: [clip('bad-label', 2, 'train', 1)] })).toThrow(/bad-label: label 2/);
  });
});
