import { describe, expect, it } from 'vitest';
import { logSpectrogram, prepareWaveform, resizeSpectrogram } from '../spectrogram';
import { deinterleave, samplesNeeded, spectrogramCodes } from './audioFeatures';
import { dequantizeSpectrogram, SPEC_QUANT_MAX_ERROR } from './spectrogramCodec';

function tone(freq: number, rate: number, seconds: number, amp = 0.5): Float32Array {
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => amp * Math.sin((2 * Math.PI * freq * i) / rate));
}

describe('audio features', () => {
  it('deinterleaves ffmpeg f32le frames', () => {
    const [l, r] = deinterleave(Float32Array.from([1, -1, 2, -2, 3, -3]), 2);
    expect([...l]).toEqual([1, 2, 3]);
    expect([...r]).toEqual([-1, -2, -3]);
    expect(() => deinterleave(new Float32Array(2), 0)).toThrow();
  });

  it('asks decoders for 3 s plus the resampler reach', () => {
    expect(samplesNeeded(22050)).toBeGreaterThan(66150 + 64);
    expect(samplesNeeded(44100)).toBeGreaterThan(132300 + 128);
    expect(samplesNeeded(44100)).toBeLessThan(132300 + 2000);
  });

  it('matches the reference pipeline (mix, prepareWaveform, logSpectrogram, resize) up to quantization', () => {
    const left = tone(440, 44100, 2);
    const right = tone(880, 44100, 2, 0.25);
    const codes = spectrogramCodes([left, right], 44100, 129, 94);
    const mono = left.map((v, i) => (v + right[i]) / 2);
    const expected = resizeSpectrogram(logSpectrogram(prepareWaveform(mono, 44100)), 257, 188, 129, 94);
    const got = new Float32Array(codes.length);
    dequantizeSpectrogram(codes, got);
    let err = 0;
    for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i] - expected[i]));
    expect(err).toBeLessThanOrEqual(SPEC_QUANT_MAX_ERROR);
  });

  it('puts a tone in the right frequency row at the paper size', () => {
    const codes = spectrogramCodes([tone(1000, 16000, 3)], 16000, 257, 188);
    const spec = new Float32Array(codes.length);
    dequantizeSpectrogram(codes, spec);
    let best = -Infinity;
    let row = -1;
    for (let y = 0; y < 257; y++) {
      let s = 0;
      for (let x = 0; x < 188; x++) s += spec[y * 188 + x];
      if (s > best) [best, row] = [s, y];
    }
    // 1000 Hz at 22050 Hz with n_fft 512: bin 1000 / (22050 / 512) = 23.2.
    expect(row).toBe(23);
  });

  it('rejects an empty track', () => {
    expect(() => spectrogramCodes([new Float32Array(0)], 44100, 33, 24)).toThrow(/empty/);
  });
});
