import { describe, expect, it } from 'vitest';
import {
  HOP_LENGTH,
  SPEC_HEIGHT,
  SPEC_WIDTH,
  TARGET_SAMPLES,
  logSpectrogram,
  mixToMono,
  prepareWaveform,
  resample,
  resizeSpectrogram,
  spectrogramFrames,
} from './spectrogram';
import reference from './testdata/spectrogram_reference.json';

/** The closed-form waveform of scripts/spectrogram_reference.py, same float64 operations, rounded to float32. */
function referenceWaveform(): Float32Array {
  const sr = 22050;
  const f0 = 100;
  const f1 = 8000;
  const dur = TARGET_SAMPLES / sr;
  const y = new Float32Array(TARGET_SAMPLES);
  for (let i = 0; i < TARGET_SAMPLES; i++) {
    const t = i / sr;
    const chirp = Math.sin(2 * Math.PI * (f0 * t + ((f1 - f0) / (2 * dur)) * t * t));
    const v = 0.3 * Math.sin(2 * Math.PI * 440 * t) + 0.2 * Math.sin(2 * Math.PI * 3000 * t + 0.5) + 0.25 * chirp;
    y[i] = v * Math.min(1, 0.1 + t / 0.5);
  }
  return y;
}

function decodeFloat32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(4 * i);
  return out;
}

/** Max |ours - numpy| over the reference frames (all 257 bins each). */
function maxErrorAgainst(spec: Float32Array, ref: { cols: number[]; values: string }): number {
  const values = decodeFloat32(ref.values);
  expect(values.length).toBe(ref.cols.length * SPEC_HEIGHT);
  let err = 0;
  ref.cols.forEach((col, j) => {
    for (let f = 0; f < SPEC_HEIGHT; f++) {
      err = Math.max(err, Math.abs(spec[f * SPEC_WIDTH + col] - values[j * SPEC_HEIGHT + f]));
    }
  });
  return err;
}

function sine(n: number, rate: number, freq: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin((2 * Math.PI * freq * i) / rate);
  return x;
}

/** Max |y - sin| over the output, skipping `margin` samples at each end (edge transients of the filter). */
function sineError(y: Float32Array, freq: number, margin: number): number {
  let err = 0;
  for (let o = margin; o < y.length - margin; o++) {
    err = Math.max(err, Math.abs(y[o] - Math.sin((2 * Math.PI * freq * o) / 22050)));
  }
  return err;
}

describe('logSpectrogram', () => {
  const wave = referenceWaveform();

  it('builds the same input as the numpy script', () => {
    let energy = 0;
    for (const v of wave) energy += v * v;
    expect(Math.abs(energy - reference.waveformChecksum) / reference.waveformChecksum).toBeLessThan(1e-9);
  });

  it('matches numpy (librosa algorithm, reflect padding) within 1e-5 in the log domain', () => {
    const spec = logSpectrogram(wave);
    expect(spec).toBeInstanceOf(Float32Array);
    expect(spec.length).toBe(SPEC_HEIGHT * SPEC_WIDTH);
    // Measured max error in Node: 0 (both sides compute in float64 and round to float32).
    expect(maxErrorAgainst(spec, reference.reflect)).toBeLessThan(1e-5);
  });

  it('matches numpy with zero (constant) padding', () => {
    const spec = logSpectrogram(wave, { padMode: 'constant' });
    expect(maxErrorAgainst(spec, reference.constant)).toBeLessThan(1e-5);
  });

  it('has 257 x 188 for 3 s and 1 + floor(n / 353) frames in general', () => {
    expect(spectrogramFrames(TARGET_SAMPLES)).toBe(188);
    expect(spectrogramFrames(1000)).toBe(1 + Math.floor(1000 / HOP_LENGTH));
    expect(logSpectrogram(new Float32Array(1000)).length).toBe(257 * 3);
  });

  it('gives log(1e-7) for silence and rejects too-short input for reflect padding', () => {
    const spec = logSpectrogram(new Float32Array(TARGET_SAMPLES));
    expect(spec[0]).toBeCloseTo(Math.log(1e-7), 5);
    expect(() => logSpectrogram(new Float32Array(100))).toThrow(/reflect padding/);
    expect(logSpectrogram(new Float32Array(100), { padMode: 'constant' }).length).toBe(257);
  });
});

describe('resample', () => {
  // Measured max errors ('best'): 44100 -> 22050 4e-8, 16000 -> 22050 6e-8, 44099 -> 22050 6e-8.
  it.each([
    [44100, 440],
    [44100, 3000],
    [16000, 440],
    [16000, 3000],
    [48000, 3000],
    [44099, 3000], // no small rational ratio: the interpolated-table path
  ])('reproduces a closed-form sine %i Hz -> 22050 Hz (%i Hz tone), max error < 1e-6', (rate, freq) => {
    const y = resample(sine(rate, rate, freq), rate, 22050);
    expect(y.length).toBe(22050);
    expect(sineError(y, freq, 300)).toBeLessThan(1e-6);
  });

  it("'fast' quality stays within 1e-4", () => {
    for (const rate of [44100, 16000]) {
      const y = resample(sine(rate, rate, 3000), rate, 22050, { quality: 'fast' });
      expect(sineError(y, 3000, 100)).toBeLessThan(1e-4);
    }
  });

  it('removes content above the new Nyquist frequency (no aliasing)', () => {
    // 15 kHz at 44.1 kHz would alias to 7.05 kHz at 22.05 kHz.
    const y = resample(sine(44100, 44100, 15000), 44100, 22050);
    let peak = 0;
    for (let o = 300; o < y.length - 300; o++) peak = Math.max(peak, Math.abs(y[o]));
    expect(peak).toBeLessThan(1e-5);
  });

  it('honours maxLength and is the identity at the same rate', () => {
    expect(resample(new Float32Array(44100), 44100, 22050, { maxLength: 100 }).length).toBe(100);
    const x = sine(500, 22050, 440);
    expect(Array.from(resample(x, 22050, 22050))).toEqual(Array.from(x));
    expect(() => resample(x, 0, 22050)).toThrow(/positive/);
  });
});

describe('prepareWaveform', () => {
  it('tiles a short clip to 66150 samples', () => {
    const clip = new Float32Array(1000).map((_, i) => (i % 7) / 10 - 0.3);
    const w = prepareWaveform(clip, 22050);
    expect(w.length).toBe(TARGET_SAMPLES);
    for (const i of [0, 999, 1000, 1001, 65999, 66149]) expect(w[i]).toBe(clip[i % 1000]);
  });

  it('resamples then tiles (0.5 s at 44.1 kHz repeats every 11025 samples)', () => {
    const w = prepareWaveform(sine(22050, 44100, 441), 44100);
    expect(w.length).toBe(TARGET_SAMPLES);
    for (const i of [500, 5000, 10000]) {
      expect(w[i + 11025]).toBe(w[i]);
      expect(w[i + 5 * 11025]).toBe(w[i]);
      expect(Math.abs(w[i] - Math.sin((2 * Math.PI * 441 * i) / 22050))).toBeLessThan(1e-6);
    }
  });

  it('keeps the first 3 s of a long clip and clips to [-1, 1]', () => {
    const long = new Float32Array(22050 * 5).map((_, i) => (i < 10 ? 2 : i < 20 ? -3 : i / 1e6));
    const w = prepareWaveform(long, 22050);
    expect(w[0]).toBe(1);
    expect(w[15]).toBe(-1);
    expect(w[66149]).toBeCloseTo(66149 / 1e6, 6);
  });

  it('rejects an empty track', () => {
    expect(() => prepareWaveform(new Float32Array(0), 44100)).toThrow(/empty/);
  });
});

describe('mixToMono', () => {
  it('averages channels and checks lengths', () => {
    expect(Array.from(mixToMono([new Float32Array([1, 0, 0.5]), new Float32Array([0, 0, -0.5])]))).toEqual([0.5, 0, 0]);
    expect(() => mixToMono([new Float32Array(2), new Float32Array(3)])).toThrow(/channel 1/);
  });
});

describe('resizeSpectrogram', () => {
  it('upsamples 2x2 -> 4x4 with half-pixel centres (hand-computed)', () => {
    const out = resizeSpectrogram(new Float32Array([0, 1, 2, 3]), 2, 2, 4, 4);
    // Source coordinate (o + 0.5) / 2 - 0.5, clamped at 0: -0.25 -> 0, 0.25, 0.75, 1.25 -> edge.
    // prettier-ignore
    expect(Array.from(out)).toEqual([
      0, 0.25, 0.75, 1,
      0.5, 0.75, 1.25, 1.5,
      1.5, 1.75, 2.25, 2.5,
      2, 2.25, 2.75, 3,
    ]);
  });

  it('downsamples 2x4 -> 1x2 by averaging pixel pairs (source 0.5 and 2.5)', () => {
    const out = resizeSpectrogram(new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]), 2, 4, 1, 2);
    expect(Array.from(out)).toEqual([2.5, 4.5]);
  });

  it('resizes 257 x 188 to a preset size and checks the input length', () => {
    expect(resizeSpectrogram(new Float32Array(257 * 188), 257, 188, 128, 96).length).toBe(128 * 96);
    expect(() => resizeSpectrogram(new Float32Array(5), 2, 2, 1, 1)).toThrow(/2 x 2 = 4/);
  });
});
