/**
 * Compact storage of log spectrograms: 16-bit linear quantization over the exact range the pipeline can produce.
 *
 * The waveform is clipped to [-1, 1] (prepareWaveform) and the periodic Hann window of 512 samples sums to 256, so
 * every STFT magnitude lies in [0, 256] and every value of log(|S| + 1e-7) in [log 1e-7, log(256 + 1e-7)] =
 * [-16.118, 5.545]; the bilinear resize only averages, so resized maps stay inside too. 65536 levels over that span
 * give a step of 3.31e-4: the max abs error is half a step, 1.65e-4, plus float32 rounding of the decoded value
 * (< 1e-6), i.e. under 0.004 % of the range anywhere (float16 would be up to 3.9e-3 near -16).
 * Values outside the range (not produced by this pipeline) are clamped; NaN stores as the minimum.
 */

/** log(1e-7): the spectrogram of silence. */
export const SPEC_MIN = Math.log(1e-7);
/** log(256 + 1e-7): a full-scale DC or sine component under the 512-sample periodic Hann window. */
export const SPEC_MAX = Math.log(256 + 1e-7);
const LEVELS = 65535;
const STEP = (SPEC_MAX - SPEC_MIN) / LEVELS;
/** Bound on |dequantize(quantize(x)) - x| for x in [SPEC_MIN, SPEC_MAX] (half a step + float32 rounding). */
export const SPEC_QUANT_MAX_ERROR = STEP / 2 + 2e-6;

/** float32 log spectrogram -> uint16 codes. */
export function quantizeSpectrogram(spec: Float32Array): Uint16Array {
  const out = new Uint16Array(spec.length);
  const inv = 1 / STEP;
  for (let i = 0; i < spec.length; i++) {
    const q = Math.round((spec[i] - SPEC_MIN) * inv);
    out[i] = q > 0 ? (q < LEVELS ? q : LEVELS) : 0;
  }
  return out;
}

/** uint16 codes -> float32 values written into `out` from `offset`. */
export function dequantizeSpectrogram(codes: Uint16Array, out: Float32Array, offset = 0): void {
  if (offset + codes.length > out.length) {
    throw new Error(`dequantizeSpectrogram: ${codes.length} values do not fit at offset ${offset} of ${out.length}`);
  }
  for (let i = 0; i < codes.length; i++) out[offset + i] = SPEC_MIN + codes[i] * STEP;
}
