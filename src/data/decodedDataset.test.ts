import { describe, expect, it } from 'vitest';
import { unpackDataset, packDataset } from '../worker/datasetTransfer';
import { AUDIO_FLOW, AUDIO_RGB, RGB_FLOW } from '../core/modalities';
import { buildDecodedDataset, tensorsMismatch, type DecodedClip } from './decodedDataset';
import { quantizeSpectrogram, SPEC_QUANT_MAX_ERROR } from './decode/spectrogramCodec';

const H = 4;
const W = 3;
const S = 2;

function clip(id: string, label: number, split: 'train' | 'test', frameCount: number, channels = 3): DecodedClip & { spec: Float32Array } {
  const spec = Float32Array.from({ length: H * W }, (_, i) => -10 + i + label * 0.25);
  const data = Uint8Array.from({ length: frameCount * S * S * channels }, (_, i) => (i * 7 + label) % 256);
  return { id, label, split, spectrogram: quantizeSpectrogram(spec), frames: { [channels === 2 ? 'flow' : 'rgb']: { data, count: frameCount } }, spec };
}

describe('buildDecodedDataset', () => {
  const clips = [clip('a', 0, 'train', 2), clip('b', 1, 'test', 1), clip('c', 1, 'train', 3), clip('d', 0, 'test', 1)];
  const ds = buildDecodedDataset({ name: 'mine', classNames: ['cat', 'dog'], audioHeight: H, audioWidth: W, frameSize: S, modalities: AUDIO_RGB, clips });

  it('splits in the given order, with the plan class names and sizes', () => {
    expect(ds.name).toBe('mine');
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect([ds.audioHeight, ds.audioWidth, ds.frameSize, ds.modalities]).toEqual([H, W, S, AUDIO_RGB]);
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
    expect(ds.train.frameCount(1, 'rgb')).toBe(3);
    const f = ds.train.readFrame(1, 2, 'rgb');
    expect(f.length).toBe(S * S * 3);
    expect([...f]).toEqual([...clips[2].frames.rgb!.data.subarray(2 * S * S * 3)]);
    expect(() => ds.train.readFrame(1, 3, 'rgb')).toThrow(RangeError);
    expect(ds.train.bytes()).toBe(2 * (2 * H * W) + 5 * S * S * 3);
  });

  it('packs for the training worker like any Dataset', () => {
    const { packed } = packDataset(ds);
    const back = unpackDataset(packed);
    expect(back.classNames).toEqual(['cat', 'dog']);
    expect(back.train.size).toBe(2);
    expect(back.train.frameCount(0, 'rgb')).toBe(2);
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
      modalities: AUDIO_FLOW,
      clips: [clip('f', 0, 'train', 2, 2)],
    });
    expect(flow.modalities).toEqual(AUDIO_FLOW);
    expect(flow.train.readFrame(0, 1, 'flow').length).toBe(S * S * 2);
    expect(() => flow.train.readFrame(0, 1, 'rgb')).toThrow('this dataset has no rgb frames');
  });

  it('names the clip when sizes or labels are wrong', () => {
    const base = { name: 'x', classNames: ['a', 'b'], audioHeight: H, audioWidth: W, frameSize: S, modalities: AUDIO_RGB };
    expect(() => buildDecodedDataset({ ...base, clips: [{ ...clip('bad-audio', 0, 'train', 1), spectrogram: new Uint16Array(5) }] })).toThrow(
      /bad-audio: spectrogram has 5 values, expected 4 x 3/,
    );
    const one = clip('bad-frames', 0, 'train', 1);
    expect(() => buildDecodedDataset({ ...base, clips: [{ ...one, frames: { rgb: { ...one.frames.rgb!, count: 2 } } }] })).toThrow(/bad-frames: 12 rgb frame bytes for 2 frames/);
    expect(() => buildDecodedDataset({ ...base, clips: [clip('bad-label', 2, 'train', 1)] })).toThrow(/bad-label: label 2/);
  });

  it('checks decoded tensors against the shape they were decoded for, kind by kind', () => {
    const shape = { name: 'x', classNames: ['a', 'b'], audioHeight: 2, audioWidth: 3, frameSize: 2, modalities: AUDIO_RGB };
    const entry = { spectrogram: new Uint16Array(6), frames: { rgb: { data: new Uint8Array(24), count: 2 } } };
    expect(tensorsMismatch(entry, shape)).toBeNull();
    expect(tensorsMismatch({ ...entry, spectrogram: new Uint16Array(5) }, shape)).toBe('spectrogram has 5 values, expected 2 x 3');
    expect(tensorsMismatch({ ...entry, frames: { rgb: { data: new Uint8Array(23), count: 2 } } }, shape)).toBe('23 rgb frame bytes for 2 frames, expected 12 per frame (2 x 2 rgb)');
    expect(tensorsMismatch({ ...entry, frames: { rgb: { data: new Uint8Array(0), count: 0 } } }, shape)).toBe('0 rgb frames, expected at least 1');
    expect(tensorsMismatch(entry, { ...shape, modalities: AUDIO_FLOW })).toBe('no flow frames');
    const rgbFlow = { spectrogram: new Uint16Array(0), frames: { rgb: { data: new Uint8Array(12), count: 1 }, flow: { data: new Uint8Array(16), count: 2 } } };
    expect(tensorsMismatch(rgbFlow, { ...shape, modalities: RGB_FLOW })).toBeNull();
    expect(tensorsMismatch({ ...rgbFlow, spectrogram: new Uint16Array(6) }, { ...shape, modalities: RGB_FLOW })).toBe('a spectrogram of 6 values, expected none');
  });

  it('holds RGB + flow clips: both kinds read back, no spectrogram', () => {
    const d = buildDecodedDataset({
      name: 'ucf',
      classNames: ['a', 'b'],
      audioHeight: 0,
      audioWidth: 0,
      frameSize: S,
      modalities: RGB_FLOW,
      clips: [
        { id: 'x', label: 1, split: 'train', spectrogram: new Uint16Array(0), frames: { rgb: { data: new Uint8Array(2 * S * S * 3).fill(5), count: 2 }, flow: { data: new Uint8Array(S * S * 2).fill(9), count: 1 } } },
      ],
    });
    expect([d.train.frameCount(0, 'rgb'), d.train.frameCount(0, 'flow')]).toEqual([2, 1]);
    expect([...d.train.readFrame(0, 1, 'rgb')]).toEqual(new Array(S * S * 3).fill(5));
    expect([...d.train.readFrame(0, 0, 'flow')]).toEqual(new Array(S * S * 2).fill(9));
    expect(() => d.train.readAudio(0, new Float32Array(1), 0)).toThrow('this dataset has no spectrograms');
  });
});
