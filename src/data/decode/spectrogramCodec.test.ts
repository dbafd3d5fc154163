import { describe, expect, it } from 'vitest';
import { logSpectrogram, prepareWaveform, resizeSpectrogram } from '../spectrogram';
import { dequantizeSpectrogram, quantizeSpectrogram, SPEC_MAX, SPEC_MIN, SPEC_QUANT_MAX_ERROR } from './spectrogramCodec';

function roundTrip(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  dequantizeSpectrogram(quantizeSpectrogram(values), out, 0);
  return out;
}

function maxAbsError(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('16-bit spectrogram codec', () => {
  it('has the documented range and error bound', () => {
    expect(SPEC_MIN).toBeCloseTo(-16.1181, 4);
    expect(SPEC_MAX).toBeCloseTo(5.5452, 4);
    // Half of (5.5452 + 16.1181) / 65535, plus float32 rounding.
    expect(SPEC_QUANT_MAX_ERROR).toBeLessThan(1.7e-4);
    expect(SPEC_QUANT_MAX_ERROR).toBeGreaterThan(1.6e-4);
  });

  it('round-trips a dense sweep of the range within the bound', () => {
    const n = 1_000_003;
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = SPEC_MIN + ((SPEC_MAX - SPEC_MIN) * i) / (n - 1);
    const err = maxAbsError(values, roundTrip(values));
    expect(err).toBeLessThanOrEqual(SPEC_QUANT_MAX_ERROR);
    // The bound is tight: the sweep hits values near the middle between two codes.
    expect(err).toBeGreaterThan(0.9 * (SPEC_QUANT_MAX_ERROR - 2e-6));
  });

  it('round-trips real spectrograms (noise + tones, resized) within the bound', () => {
    const sr = 22050;
    const wave = new Float32Array(sr * 2);
    let seed = 1;
    for (let i = 0; i < wave.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      wave[i] = 0.6 * Math.sin((2 * Math.PI * 440 * i) / sr) + 0.3 * (seed / 2 ** 32 - 0.5) + 0.1 * Math.sin((2 * Math.PI * 3000 * i) / sr);
    }
    const spec = logSpectrogram(prepareWaveform(wave, sr));
    expect(maxAbsError(spec, roundTrip(spec))).toBeLessThanOrEqual(SPEC_QUANT_MAX_ERROR);
    const small = resizeSpectrogram(spec, 257, 188, 129, 94);
    expect(maxAbsError(small, roundTrip(small))).toBeLessThanOrEqual(SPEC_QUANT_MAX_ERROR);
  });

  it('covers the extremes the pipeline can produce: silence and a full-scale DC signal', () => {
    const silence = logSpectrogram(new Float32Array(66150));
    expect(Math.min(...silence)).toBeCloseTo(SPEC_MIN, 5);
    const dc = logSpectrogram(new Float32Array(66150).fill(1));
    // Bin 0 of an interior frame is the window's sum, 256: the top of the range.
    const peak = Math.max(...dc);
    expect(peak).toBeCloseTo(SPEC_MAX, 4);
    expect(peak).toBeLessThanOrEqual(SPEC_MAX + 1e-6);
    expect(maxAbsError(dc, roundTrip(dc))).toBeLessThanOrEqual(SPEC_QUANT_MAX_ERROR);
  });

  it('clamps out-of-range values and maps NaN to the minimum', () => {
    const out = roundTrip(new Float32Array([-100, 100, NaN]));
    expect(out[0]).toBeCloseTo(SPEC_MIN, 5);
    expect(out[1]).toBeCloseTo(SPEC_MAX, 5);
    expect(out[2]).toBeCloseTo(SPEC_MIN, 5);
  });

  it('writes at an offset and rejects overflow', () => {
    const codes = quantizeSpectrogram(new Float32Array([0, 1]));
    const out = new Float32Array(5);
    dequantizeSpectrogram(codes, out, 3);
    expect(out[3]).toBeCloseTo(0, 3);
    expect(out[4]).toBeCloseTo(1, 3);
    expect(() => dequantizeSpectrogram(codes, out, 4)).toThrow(/do not fit/);
  });
});
