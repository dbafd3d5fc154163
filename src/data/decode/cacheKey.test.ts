import { describe, expect, it } from 'vitest';
import type { FileRef, PlannedClip } from '../layouts';
import { AUDIO_FLOW, AUDIO_RGB, RGB_FLOW } from '../../core/modalities';
import { clipCacheKey, DECODE_FORMAT_VERSION, hash53, type DecodeSettings } from './cacheKey';

const f = (path: string, size = 100, lastModified = 1_700_000_000_000): FileRef => ({ path, size, lastModified });
const settings: DecodeSettings = { preset: 'fast', audioHeight: 129, audioWidth: 94, frameSize: 112, maxFrames: 2 };
const clip: PlannedClip = {
  id: '1001_DFA_ANG_XX',
  label: 5,
  split: 'train',
  video: f('crema/VideoFlash/1001_DFA_ANG_XX.flv', 50_000),
  audio: f('crema/AudioWAV/1001_DFA_ANG_XX.wav', 80_000),
};

describe('clip cache keys', () => {
  it('is stable and readable', () => {
    const key = clipCacheKey(clip, settings, AUDIO_RGB);
    expect(key).toBe(clipCacheKey({ ...clip }, { ...settings }, AUDIO_RGB));
    expect(key.startsWith(`v${DECODE_FORMAT_VERSION}/fast/112/129x94/k2/spectrogram+rgb/`)).toBe(true);
    expect(key.endsWith('/crema/VideoFlash/1001_DFA_ANG_XX.flv')).toBe(true);
  });

  it('changes with any input file identity, the preset sizes or the frame cap', () => {
    const key = clipCacheKey(clip, settings, AUDIO_RGB);
    const variants: Array<[PlannedClip, DecodeSettings]> = [
      [{ ...clip, video: f('crema/VideoFlash/1001_DFA_ANG_XX.flv', 50_001) }, settings],
      [{ ...clip, video: f('crema/VideoFlash/1001_DFA_ANG_XX.flv', 50_000, 1_700_000_000_001) }, settings],
      [{ ...clip, video: f('other/VideoFlash/1001_DFA_ANG_XX.flv', 50_000) }, settings],
      [{ ...clip, audio: f('crema/AudioWAV/1001_DFA_ANG_XX.wav', 80_001) }, settings],
      [{ ...clip, audio: undefined }, settings],
      [clip, { ...settings, preset: 'paper' }],
      [clip, { ...settings, frameSize: 224 }],
      [clip, { ...settings, audioHeight: 257 }],
      [clip, { ...settings, maxFrames: 3 }],
    ];
    const keys = variants.map(([c, s]) => clipCacheKey(c, s, AUDIO_RGB));
    for (const k of keys) expect(k).not.toBe(key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('does not depend on the label or the split (a new split list reuses the cache)', () => {
    expect(clipCacheKey({ ...clip, label: 0, split: 'test', id: 'other' }, settings, AUDIO_RGB)).toBe(clipCacheKey(clip, settings, AUDIO_RGB));
  });

  it('covers every frame of frame folders and flow, in order', () => {
    const frames = [f('d/c/1.jpg'), f('d/c/2.jpg'), f('d/c/3.jpg')];
    const base: PlannedClip = { id: 'd/c', label: 0, split: 'train', audio: f('d/c.wav'), frames };
    const key = clipCacheKey(base, settings, AUDIO_RGB);
    expect(clipCacheKey({ ...base, frames: [frames[0], frames[2], frames[1]] }, settings, AUDIO_RGB)).not.toBe(key);
    expect(clipCacheKey({ ...base, frames: frames.slice(0, 2) }, settings, AUDIO_RGB)).not.toBe(key);
    expect(clipCacheKey({ ...base, frames: [frames[0], frames[1], f('d/c/3.jpg', 101)] }, settings, AUDIO_RGB)).not.toBe(key);
    const flow: PlannedClip = { id: 'v_X', label: 0, split: 'train', video: f('v_X.avi'), flowU: [f('u/v_X/1.jpg')], flowV: [f('v/v_X/1.jpg')] };
    expect(clipCacheKey(flow, settings, RGB_FLOW)).toContain('/rgb+flow/');
    expect(clipCacheKey({ ...flow, flowV: [f('v/v_X/1.jpg', 7)] }, settings, RGB_FLOW)).not.toBe(clipCacheKey(flow, settings, RGB_FLOW));
  });

  it('differs between the pairs of modalities decoded from the same files', () => {
    const flow: PlannedClip = { id: 'v_X', label: 0, split: 'train', video: f('v_X.avi'), flowU: [f('u/v_X/1.jpg')], flowV: [f('v/v_X/1.jpg')] };
    const keys = [RGB_FLOW, AUDIO_RGB, AUDIO_FLOW].map((pair) => clipCacheKey(flow, settings, pair));
    expect(new Set(keys).size).toBe(3);
  });

  it('hash53 spreads near-identical strings', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 20_000; i++) seen.add(hash53(`clip${i}.mp4\u0001100\u00011700000000000`));
    expect(seen.size).toBe(20_000);
    expect(hash53('a')).not.toBe(hash53('b'));
    expect(Number.isSafeInteger(hash53('x'.repeat(1000)))).toBe(true);
  });
});
