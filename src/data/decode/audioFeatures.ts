/**
 * Decoded audio -> the stored spectrogram: mono mix, prepareWaveform (22050 Hz, 3 s tiled, clipped), logSpectrogram
 * (257 x 188), bilinear resize to the preset's H x W when different, 16-bit quantization. Pure.
 */
import { logSpectrogram, mixToMono, prepareWaveform, resizeSpectrogram, SPEC_HEIGHT, TARGET_SAMPLES, TARGET_SAMPLE_RATE } from '../spectrogram';
import { quantizeSpectrogram } from './spectrogramCodec';

/**
 * Samples at `sampleRate` that determine the 3 s waveform: 3 s plus the resampling filter's reach (64 zero crossings
 * of the best filter, 128 input samples at 2:1) with margin. Decoders may stop after this many.
 */
export function samplesNeeded(sampleRate: number): number {
  return Math.ceil((TARGET_SAMPLES / TARGET_SAMPLE_RATE) * sampleRate) + Math.ceil(sampleRate / 100) + 512;
}

/** Interleaved frames (as ffmpeg's f32le writes them) -> one array per channel. */
export function deinterleave(data: Float32Array, channels: number): Float32Array[] {
  if (!(channels >= 1)) throw new Error(`deinterleave: bad channel count ${channels}`);
  const n = Math.floor(data.length / channels);
  const out = Array.from({ length: channels }, () => new Float32Array(n));
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) out[c][i] = data[i * channels + c];
  return out;
}

/** Channels (equal length) at `sampleRate` -> quantized log spectrogram of `height` x `width`. */
export function spectrogramCodes(channels: Float32Array[], sampleRate: number, height: number, width: number): Uint16Array {
  const mono = mixToMono(channels);
  const wave = prepareWaveform(mono, sampleRate);
  let spec = logSpectrogram(wave);
  const frames = spec.length / SPEC_HEIGHT;
  if (height !== SPEC_HEIGHT || width !== frames) spec = resizeSpectrogram(spec, SPEC_HEIGHT, frames, height, width);
  return quantizeSpectrogram(spec);
}
