/**
 * Decoding with the browser's own decoders (WebCodecs) through mediabunny: containers it reads (MP4/MOV, WebM/MKV,
 * Ogg, WAV, MP3, FLAC, ADTS) with codecs the browser decodes. Anything else is reported as `unsupported` so the
 * caller falls back to ffmpeg.wasm. Browser-only (OffscreenCanvas, VideoDecoder, AudioDecoder); runs in a worker.
 */
import { ALL_FORMATS, AudioSampleSink, BlobSource, Input, VideoSampleSink, type InputAudioTrack, type InputVideoTrack } from 'mediabunny';
import { evenlySpaced, oneFpsTimestamps } from './frameSelect';
import { rgbaToRgb } from './pixels';
import { samplesNeeded } from './audioFeatures';

/** Raw decoded audio: one Float32Array per channel. */
export interface DecodedAudio {
  channels: Float32Array[];
  sampleRate: number;
  /** Seconds of audio the file claims (its track or container duration), when known: the duration check. */
  claimedSeconds?: number;
}

/** Frames at the stored size, RGB uint8, back to back. */
export interface DecodedFrames {
  frames: Uint8Array;
  count: number;
  /**
   * How much of the video decoded, for the duration check: the share of the 1 fps frames asked for that came out
   * (0-1), and the seconds the file claims.
   */
  coverage?: { share: number; claimedSeconds: number };
}

/** A media file opened with mediabunny, or null when mediabunny cannot read its container. */
export async function openMedia(file: Blob): Promise<Input | null> {
  const input = new Input({ source: new BlobSource(file), formats: ALL_FORMATS });
  try {
    if (!(await input.canRead())) {
      input.dispose();
      return null;
    }
    await input.getTracks();
    return input;
  } catch {
    input.dispose();
    return null;
  }
}

/** A 2D context on an S x S OffscreenCanvas set up for good downscaling. */
export function frameCanvas(size: number): OffscreenCanvasRenderingContext2D {
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d', { willReadFrequently: true, alpha: false });
  if (!ctx) throw new Error('OffscreenCanvas 2D context is not available');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  return ctx;
}

/**
 * The track's 1 fps frames (at most `maxFrames`, evenly spaced), each drawn to S x S (aspect not kept, as a plain
 * resize) and read back as RGB. 'unsupported' when the browser has no decoder for the codec.
 */
export async function videoFramesWebCodecs(track: InputVideoTrack, size: number, maxFrames: number): Promise<DecodedFrames | 'unsupported'> {
  if (!(await track.canDecode())) return 'unsupported';
  const first = await track.getFirstTimestamp();
  const end = await track.computeDuration();
  const all = oneFpsTimestamps(first, end);
  const times = evenlySpaced(all.length, maxFrames).map((i) => all[i]);
  const ctx = frameCanvas(size);
  const frameBytes = size * size * 3;
  const frames = new Uint8Array(times.length * frameBytes);
  let count = 0;
  const sink = new VideoSampleSink(track);
  for await (const sample of sink.samplesAtTimestamps(times)) {
    if (!sample) continue;
    try {
      ctx.clearRect(0, 0, size, size);
      sample.draw(ctx, 0, 0, size, size);
    } finally {
      sample.close();
    }
    rgbaToRgb(ctx.getImageData(0, 0, size, size).data, frames, count * frameBytes);
    count++;
  }
  if (count === 0) throw new Error('no video frames could be decoded');
  const coverage = { share: count / times.length, claimedSeconds: end - first };
  return { frames: count === times.length ? frames : frames.slice(0, count * frameBytes), count, coverage };
}

/** The first ~3 s of the track (all the spectrogram uses), per channel. 'unsupported' when the browser cannot decode it. */
export async function audioWebCodecs(track: InputAudioTrack): Promise<DecodedAudio | 'unsupported'> {
  if (!(await track.canDecode())) return 'unsupported';
  const sink = new AudioSampleSink(track);
  let sampleRate = 0;
  let chunks: Float32Array[][] = [];
  let total = 0;
  for await (const sample of sink.samples()) {
    try {
      if (sampleRate === 0) {
        sampleRate = sample.sampleRate;
        chunks = Array.from({ length: sample.numberOfChannels }, () => []);
      }
      if (sample.sampleRate !== sampleRate || sample.numberOfChannels !== chunks.length) {
        throw new Error(`the audio format changes mid-track (${sample.sampleRate} Hz x ${sample.numberOfChannels})`);
      }
      for (let c = 0; c < chunks.length; c++) {
        const plane = new Float32Array(sample.numberOfFrames);
        sample.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
        chunks[c].push(plane);
      }
      total += sample.numberOfFrames;
    } finally {
      sample.close();
    }
    if (total >= samplesNeeded(sampleRate)) break;
  }
  if (total === 0) throw new Error('the audio track has no samples');
  const claimed = await track.computeDuration().catch(() => NaN);
  const channels = chunks.map((list) => {
    const out = new Float32Array(total);
    let at = 0;
    for (const part of list) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  });
  return { channels, sampleRate, ...(Number.isFinite(claimed) ? { claimedSeconds: claimed } : {}) };
}

/** An image file resized to S x S, as RGBA. */
export async function imageRgba(file: Blob, size: number, ctx: OffscreenCanvasRenderingContext2D): Promise<Uint8ClampedArray> {
  const bitmap = await createImageBitmap(file, { resizeWidth: size, resizeHeight: size, resizeQuality: 'high' });
  try {
    ctx.clearRect(0, 0, size, size);
    ctx.drawImage(bitmap, 0, 0, size, size);
  } finally {
    bitmap.close();
  }
  return ctx.getImageData(0, 0, size, size).data;
}
