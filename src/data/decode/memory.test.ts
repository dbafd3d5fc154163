import { describe, expect, it } from 'vitest';
import { AUDIO_FLOW, AUDIO_RGB, RGB_FLOW } from '../../core/modalities';
import { clipBytes, DEFAULT_MAX_FRAMES, formatBytes, framesKept, memoryWarning, presetStoredSizes } from './memory';

// CREMA-D: 7442 clips; at 1 fps a clip keeps ceil(duration) frames (2-5 s clips, mostly 3), capped per preset.
const CREMA_D = 7442;

describe('memory of a decoded dataset', () => {
  it('counts 2 bytes per spectrogram value and 1 per frame byte', () => {
    expect(clipBytes(presetStoredSizes('tiny'), 1)).toBe(2 * 33 * 24 + 32 * 32 * 3);
    expect(clipBytes(presetStoredSizes('fast'), 2)).toBe(2 * 129 * 94 + 2 * 112 * 112 * 3);
    expect(clipBytes(presetStoredSizes('paper', AUDIO_FLOW), 3)).toBe(2 * 257 * 188 + 3 * 224 * 224 * 2);
    // RGB + flow: no spectrogram, 3 + 2 bytes per pixel of each kept frame.
    expect(clipBytes(presetStoredSizes('fast', RGB_FLOW), 2)).toBe(2 * 112 * 112 * 3 + 2 * 112 * 112 * 2);
  });

  it('keeps the fast preset of a CREMA-D-sized set under 1 GB with its default cap', () => {
    const table = (['tiny', 'fast', 'paper'] as const).map((p) => ({
      preset: p,
      frames: DEFAULT_MAX_FRAMES[p],
      bytes: CREMA_D * clipBytes(presetStoredSizes(p), DEFAULT_MAX_FRAMES[p]),
      bytes3: CREMA_D * clipBytes(presetStoredSizes(p), 3),
    }));
    expect(table.map((t) => formatBytes(t.bytes))).toEqual(['80.4 MB', '740.6 MB', '1.84 GB']);
    expect(table.map((t) => formatBytes(t.bytes3))).toEqual(['80.4 MB', '1.02 GB', '4.08 GB']);
    expect(table[1].bytes).toBeLessThan(0.75e9);
  });

  it('keeps ceil(seconds) frames up to the cap', () => {
    expect(framesKept(2.5, 3)).toBe(3);
    expect(framesKept(2.5, 2)).toBe(2);
    expect(framesKept(0.4, 3)).toBe(1);
    expect(framesKept(3, 10)).toBe(3);
  });
});

describe('memoryWarning', () => {
  const GB = 1e9;
  it('says nothing when the dataset fits or the browser reports nothing', () => {
    expect(memoryWarning(CREMA_D, 'fast', 2, AUDIO_RGB, { deviceMemoryBytes: 8 * GB, storageFreeBytes: 50 * GB })).toBeNull();
    expect(memoryWarning(CREMA_D, 'paper', 10, AUDIO_RGB, { deviceMemoryBytes: null, storageFreeBytes: null })).toBeNull();
  });

  it('warns when training would not fit the device memory, with the frame cap that would', () => {
    // paper, K = 3: 4.08 GB decoded, 8.16 GB while training; a 8 GB device gives the tab 4 GB: K = 1 (1.84 GB) fits.
    expect(memoryWarning(CREMA_D, 'paper', 3, AUDIO_RGB, { deviceMemoryBytes: 8 * GB, storageFreeBytes: null })).toBe(
      'about 4.08 GB decoded, 8.16 GB while training, and this device reports 8.00 GB of memory: 1 frame per clip would fit (1.84 GB).',
    );
    // 2 GB (1 GB for the tab): paper's 1 frame does not fit (3.7 GB while training); fast's 1 frame (921 MB) does.
    expect(memoryWarning(CREMA_D, 'paper', 1, AUDIO_RGB, { deviceMemoryBytes: 2 * GB, storageFreeBytes: null })).toMatch(/: the fast preset would fit \(460\.5 MB\)\.$/);
  });

  it('warns when the decode cache will not fit the storage the browser grants', () => {
    expect(memoryWarning(100, 'tiny', 3, AUDIO_RGB, { deviceMemoryBytes: 8 * GB, storageFreeBytes: 1000 })).toBe(
      'the decode cache needs about 1.1 MB and the browser grants 1.0 kB more storage (clips that do not fit are decoded again next time): decode a part of the dataset (fewer clips).',
    );
  });
});
