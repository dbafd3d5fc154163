/**
 * Decodes one clip into its stored tensors, inside a decode worker, for the dataset's two modalities: RGB frames (1 fps
 * from a video, or a frame folder), precomputed optical flow (UCF-101's u/ and v/ images, 1 fps at the video's frame
 * rate) and the spectrogram (from a separate audio file or the video's own track). What the pair does not name is not
 * decoded (RGB + flow reads no audio, so clips without an audio track are kept).
 * The browser's decoders (WebCodecs via mediabunny) are tried first; what they cannot read or decode goes to
 * ffmpeg.wasm. A problem with the input throws a ClipFailure naming the file and the cause. The ffmpeg and the image
 * reader are parameters, so the same code decodes in Node (the CLI: system ffmpeg, or ffmpeg.wasm without WebCodecs).
 */
import { hasSpectrogram } from '../../core/modalities';
import type { DecodedTensors } from '../decodedDataset';
import { spectrogramCodes } from './audioFeatures';
import type { DecodeJob, DecodeResult, JobFile } from './messages';
import { decodeErrorLines, describeDecodeErrors, explainFfmpegFailure, parseContainerDuration, parseF32leOutput, parseInputStreams } from './ffmpegLog';
import type { FfmpegRun } from './ffmpegCore';
import { evenlySpaced, oneFpsIndices, oneFpsScaleFilter, oneFpsTimestamps } from './frameSelect';
import { sniffNotMedia, SNIFF_BYTES } from './sniff';
import { flowToUv, rgbaToRgb } from './pixels';
import { audioWebCodecs, frameCanvas, imageRgba, openMedia, videoFramesWebCodecs, type DecodedAudio, type DecodedFrames } from './webcodecs';

/** A clip that cannot be used, with the file and the reason. `inherent`: caused by the file, not the environment. */
export class ClipFailure extends Error {
  override name = 'ClipFailure';
  constructor(
    readonly path: string,
    message: string,
    readonly inherent = true,
  ) {
    super(message);
  }
}

export interface ClipTensors extends DecodedTensors {
  decoder: string;
  /** Why the clip is used but may be damaged (decoding errors, less decoded than the file claims, very short audio). */
  warnings: string[];
}

/**
 * What decoding needs from an ffmpeg: run `args` with `input` visible as `/in/<inputName>`, and hand back the exit
 * code, the log and the files named in `outputs` that the run wrote under `/out` (ffmpegCore's FfmpegRunner in the
 * page; the system ffmpeg or ffmpeg.wasm in Node).
 */
export interface FfmpegExec {
  run(input: Blob, inputName: string, args: string[], outputs: string[], timeoutMs?: number): Promise<FfmpegRun>;
}

/** An image file resized to S x S, as RGBA. */
export type ImageReader = (file: Blob, size: number) => Promise<ArrayLike<number>>;

export interface DecodeClipOptions {
  /** Try the browser's decoders (mediabunny + WebCodecs) before ffmpeg (default true). */
  webcodecs?: boolean;
  /** Reads frame and flow images (default: an OffscreenCanvas). */
  readImage?: ImageReader;
}

/** Images drawn on one S x S OffscreenCanvas (made on the first image). */
function canvasImageReader(): ImageReader {
  let ctx: OffscreenCanvasRenderingContext2D | null = null;
  return (file, size) => imageRgba(file, size, (ctx ??= frameCanvas(size)));
}

/** Containers mediabunny does not read: straight to ffmpeg. */
const FFMPEG_ONLY = new Set(['flv', 'f4v', 'avi', 'divx', 'wmv', 'asf', 'mpg', 'mpeg', 'vob', 'rm', 'rmvb', 'mts', 'm2ts']);
/** ffmpeg may take longer than this on one clip only if something is wrong. */
const FFMPEG_TIMEOUT_MS = 180_000;

function extension(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface FromMedia {
  frames: DecodedFrames | null;
  audio: DecodedAudio | null;
  fps: number | null;
  decoders: { video?: string; audio?: string };
  warnings: string[];
}

/** Frames and/or audio of one media file, WebCodecs first, then ffmpeg for what is left. */
async function fromMedia(
  src: JobFile,
  want: { frames: boolean; audio: boolean; fps: boolean },
  job: DecodeJob,
  ffmpeg: FfmpegExec,
  webcodecs: boolean,
): Promise<FromMedia> {
  const out: FromMedia = { frames: null, audio: null, fps: null, decoders: {}, warnings: [] };
  const notes: string[] = [];
  const ext = extension(src.path);
  let input = !webcodecs || FFMPEG_ONLY.has(ext) ? null : await openMedia(src.file);
  if (input && (await input.getTracks()).length === 0) {
    // No track at all: more likely a damaged file than an empty container; let ffmpeg say what is wrong.
    input.dispose();
    input = null;
  }
  if (input) {
    try {
      const video = await input.getPrimaryVideoTrack();
      if (want.frames) {
        if (!video) throw new ClipFailure(src.path, 'no video track');
        try {
          const frames = await videoFramesWebCodecs(video, job.frameSize, job.maxFrames);
          if (frames === 'unsupported') notes.push(`the browser cannot decode its video codec (${(await video.getCodec()) ?? 'unknown'})`);
          else {
            out.frames = frames;
            out.decoders.video = 'webcodecs';
          }
        } catch (err) {
          notes.push(`browser video decoding failed: ${message(err)}`);
        }
      }
      if (want.fps && video) {
        const stats = await video.computePacketStats(50).catch(() => null);
        if (stats && stats.averagePacketRate > 0) out.fps = stats.averagePacketRate;
      }
      if (want.audio) {
        const audio = await input.getPrimaryAudioTrack();
        if (!audio) throw new ClipFailure(src.path, 'no audio track (and no separate audio file for this clip)');
        try {
          const decoded = await audioWebCodecs(audio);
          if (decoded === 'unsupported') notes.push(`the browser cannot decode its audio codec (${(await audio.getCodec()) ?? 'unknown'})`);
          else {
            out.audio = decoded;
            out.decoders.audio = 'webcodecs';
          }
        } catch (err) {
          notes.push(`browser audio decoding failed: ${message(err)}`);
        }
      }
    } catch (err) {
      // The file is the problem (no track): final. Anything else (a damaged header mediabunny trips on): ffmpeg decides.
      if (err instanceof ClipFailure) throw err;
      notes.push(`browser demuxing failed: ${message(err)}`);
    } finally {
      input.dispose();
    }
  }
  const ffVideo = want.frames && !out.frames;
  const ffAudio = want.audio && !out.audio;
  if (!ffVideo && !ffAudio) return out;

  const name = `input.${ext || 'bin'}`;
  const args = ['-hide_banner', '-i', `/in/${name}`];
  if (ffVideo) {
    args.push('-map', '0:v:0', '-vf', oneFpsScaleFilter(job.frameSize), '-fps_mode', 'passthrough', '-pix_fmt', 'rgb24', '-f', 'rawvideo', '/out/v.rgb');
  }
  if (ffAudio) args.push('-map', '0:a:0?', '-t', '3.1', '-c:a', 'pcm_f32le', '-f', 'f32le', '/out/a.f32');
  const run = await ffmpeg.run(src.file, name, args, ['v.rgb', 'a.f32'], FFMPEG_TIMEOUT_MS);
  const streams = parseInputStreams(run.log);
  const noted = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  if (run.ret !== 0) {
    if (ffVideo && streams.video.length === 0 && streams.audio.length > 0) throw new ClipFailure(src.path, 'no video track');
    if (ffAudio && streams.audio.length === 0 && streams.video.length > 0) {
      throw new ClipFailure(src.path, 'no audio track (and no separate audio file for this clip)');
    }
    const threw = run.crashed === true || run.log.some((l) => l.startsWith('ffmpeg.wasm threw'));
    const sniffed = sniffNotMedia(new Uint8Array(await src.file.slice(0, SNIFF_BYTES).arrayBuffer()));
    throw new ClipFailure(src.path, sniffed ?? explainFfmpegFailure(run.log) + noted, !threw);
  }
  out.fps ??= streams.fps;
  const claimed = parseContainerDuration(run.log);
  const errors = decodeErrorLines(run.log);
  if (errors.length > 0) out.warnings.push(`${src.path.slice(src.path.lastIndexOf('/') + 1)}: ${describeDecodeErrors(errors, streams.video[0])}`);
  const damage = errors.length > 0 ? ` (${errors[0]})` : '';
  if (ffVideo) {
    const bytes = run.outputs.get('v.rgb');
    const frameBytes = job.frameSize * job.frameSize * 3;
    const total = bytes ? Math.floor(bytes.length / frameBytes) : 0;
    if (!bytes || total === 0) throw new ClipFailure(src.path, `no video frames could be decoded${damage}${noted}`);
    const keep = evenlySpaced(total, job.maxFrames);
    const frames = new Uint8Array(keep.length * frameBytes);
    keep.forEach((f, i) => frames.set(bytes.subarray(f * frameBytes, (f + 1) * frameBytes), i * frameBytes));
    // Each 1 fps frame stands for a second of video.
    const coverage = claimed !== null && claimed > 0 ? { share: Math.min(1, total / oneFpsTimestamps(0, claimed).length), claimedSeconds: claimed } : undefined;
    out.frames = { frames, count: keep.length, ...(coverage ? { coverage } : {}) };
    out.decoders.video = 'ffmpeg';
  }
  if (ffAudio) {
    if (streams.audio.length === 0) throw new ClipFailure(src.path, 'no audio track (and no separate audio file for this clip)');
    const bytes = run.outputs.get('a.f32');
    const format = parseF32leOutput(run.log);
    if (!bytes || bytes.length < 4) throw new ClipFailure(src.path, `the audio track decoded to no samples${damage}${noted}`);
    if (!format) throw new ClipFailure(src.path, `could not read the decoded audio's sample rate from ffmpeg's log`, false);
    const samples = new Float32Array(bytes.slice(0, bytes.length - (bytes.length % 4)).buffer);
    const channels: Float32Array[] = [];
    const n = Math.floor(samples.length / format.channels);
    for (let c = 0; c < format.channels; c++) {
      const ch = new Float32Array(n);
      for (let i = 0; i < n; i++) ch[i] = samples[i * format.channels + c];
      channels.push(ch);
    }
    out.audio = { channels, sampleRate: format.sampleRate, ...(claimed !== null ? { claimedSeconds: claimed } : {}) };
    out.decoders.audio = 'ffmpeg';
  }
  return out;
}

async function framesFromImages(files: JobFile[], job: DecodeJob, readImage: ImageReader): Promise<DecodedFrames> {
  const S = job.frameSize;
  const keep = evenlySpaced(files.length, job.maxFrames);
  const frames = new Uint8Array(keep.length * S * S * 3);
  for (const [i, f] of keep.entries()) {
    let rgba: ArrayLike<number>;
    try {
      rgba = await readImage(files[f].file, S);
    } catch (err) {
      throw new ClipFailure(files[f].path, `could not decode the image (${message(err)})`);
    }
    rgbaToRgb(rgba, frames, i * S * S * 3);
  }
  return { frames, count: keep.length };
}

async function framesFromFlow(u: JobFile[], v: JobFile[], fps: number | null, job: DecodeJob, readImage: ImageReader): Promise<DecodedFrames> {
  const S = job.frameSize;
  const perSecond = oneFpsIndices(Math.min(u.length, v.length), fps ?? 25);
  const keep = evenlySpaced(perSecond.length, job.maxFrames).map((i) => perSecond[i]);
  const frames = new Uint8Array(keep.length * S * S * 2);
  const read = async (f: JobFile) => {
    try {
      return await readImage(f.file, S);
    } catch (err) {
      throw new ClipFailure(f.path, `could not decode the flow image (${message(err)})`);
    }
  };
  for (const [i, f] of keep.entries()) {
    const ru = await read(u[f]);
    const rv = await read(v[f]);
    flowToUv(ru, rv, frames, i * S * S * 2);
  }
  return { frames, count: keep.length };
}

const AUDIO_EXTS = new Set(['wav', 'mp3', 'm4a', 'aac', 'ogg', 'oga', 'opus', 'flac']);

/** Decoded seconds under this share of what the file claims (and a second or more short) is worth a warning. */
const SHORTFALL_SHARE = 0.6;
/** Audio shorter than this is repeated many times to fill the spectrogram's 3 s. */
const SHORT_AUDIO_SECONDS = 0.5;
/** Under this, what decoded is a fragment (a packet or two of a cut file), not a sound to learn from. */
const MIN_AUDIO_SECONDS = 0.05;
/** The spectrogram takes the first 3 s of audio. */
const AUDIO_USED_SECONDS = 3;

function seconds(x: number): string {
  return x >= 10 ? x.toFixed(0) : x.toFixed(1);
}

/**
 * The duration check: a clip whose frames or audio decoded for far less time than the file claims (a truncated or
 * damaged stream that decoders still read), and audio so short that the spectrogram is mostly repetition.
 */
export function durationWarnings(frames: DecodedFrames | null, audio: DecodedAudio | null, paths: { video: string; audio: string }): string[] {
  const out: string[] = [];
  const name = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  if (frames?.coverage) {
    const { share, claimedSeconds } = frames.coverage;
    const decoded = share * claimedSeconds;
    if (decoded < SHORTFALL_SHARE * claimedSeconds && claimedSeconds - decoded >= 1) {
      out.push(`${name(paths.video)}: the video decoded for about ${seconds(decoded)} s of the ${seconds(claimedSeconds)} s the file claims (truncated or damaged?)`);
    }
  }
  if (audio && audio.channels.length > 0) {
    const decoded = audio.channels[0].length / audio.sampleRate;
    const claimed = audio.claimedSeconds;
    const wanted = claimed !== undefined ? Math.min(claimed, AUDIO_USED_SECONDS) : undefined;
    if (wanted !== undefined && decoded < SHORTFALL_SHARE * wanted && wanted - decoded >= SHORT_AUDIO_SECONDS) {
      out.push(`${name(paths.audio)}: the audio decoded for ${seconds(decoded)} s of the ${seconds(claimed!)} s the file claims (truncated or damaged?)`);
    } else if (decoded < SHORT_AUDIO_SECONDS) {
      out.push(`${name(paths.audio)}: only ${decoded.toFixed(2)} s of audio; it is repeated to fill the spectrogram's ${AUDIO_USED_SECONDS} s`);
    }
  }
  return out;
}

/** Decodes a job into the clip's stored tensors (those its modalities name), or throws a ClipFailure. */
export async function decodeClip(job: DecodeJob, ffmpeg: FfmpegExec, options: DecodeClipOptions = {}): Promise<ClipTensors> {
  const webcodecs = options.webcodecs ?? true;
  const readImage = options.readImage ?? canvasImageReader();
  const pair = job.modalities;
  const wantAudio = hasSpectrogram(pair);
  const wantRgb = pair.includes('rgb');
  const wantFlow = pair.includes('flow');
  const rgbFromVideo = wantRgb && !job.frames?.length;
  const audioFromVideo = wantAudio && !job.audio;
  let rgb: DecodedFrames | null = null;
  let flow: DecodedFrames | null = null;
  let audio: DecodedAudio | null = null;
  let fps: number | null = null;
  const decoders: { video?: string; audio?: string } = {};
  const warnings: string[] = [];

  if (rgbFromVideo || audioFromVideo) {
    if (!job.video) throw new ClipFailure(job.clipId, wantAudio ? 'no video file and no audio file' : 'no video file');
    const r = await fromMedia(job.video, { frames: rgbFromVideo, audio: audioFromVideo, fps: wantFlow }, job, ffmpeg, webcodecs);
    rgb = r.frames;
    audio = r.audio;
    fps = r.fps;
    Object.assign(decoders, r.decoders);
    warnings.push(...r.warnings);
  }
  if (wantAudio && job.audio) {
    const isAudioFile = AUDIO_EXTS.has(extension(job.audio.path));
    const r = await fromMedia(job.audio, { frames: false, audio: true, fps: false }, job, ffmpeg, webcodecs);
    if (!r.audio) throw new ClipFailure(job.audio.path, 'no audio decoded');
    audio = r.audio;
    decoders.audio = r.decoders.audio + (isAudioFile ? '' : ' (from a video file)');
    warnings.push(...r.warnings);
  }
  if (wantRgb && !rgbFromVideo) {
    rgb = await framesFromImages(job.frames!, job, readImage);
    decoders.video = 'image';
  }
  if (wantFlow) {
    if (!job.flowU?.length || !job.flowV?.length) throw new ClipFailure(job.clipId, 'no flow images');
    flow = await framesFromFlow(job.flowU, job.flowV, fps, job, readImage);
    if (!wantRgb) decoders.video = 'image';
  }
  if (wantRgb && !rgb) throw new ClipFailure(job.video?.path ?? job.clipId, 'no frames decoded');
  let spectrogram: Uint16Array = new Uint16Array(0);
  if (wantAudio) {
    if (!audio) throw new ClipFailure(job.audio?.path ?? job.video?.path ?? job.clipId, 'no audio decoded');
    const audioPath = job.audio?.path ?? job.video?.path ?? job.clipId;
    const audioSeconds = audio.channels.length > 0 ? audio.channels[0].length / audio.sampleRate : 0;
    if (audioSeconds < MIN_AUDIO_SECONDS) {
      const claimed = audio.claimedSeconds !== undefined ? ` of the ${seconds(audio.claimedSeconds)} s the file claims` : '';
      throw new ClipFailure(audioPath, `the audio track decoded to only ${Math.round(audioSeconds * 1000)} ms${claimed} (truncated or damaged?)`);
    }
    try {
      spectrogram = spectrogramCodes(audio.channels, audio.sampleRate, job.audioHeight, job.audioWidth);
    } catch (err) {
      throw new ClipFailure(audioPath, message(err));
    }
  }
  warnings.push(...durationWarnings(rgbFromVideo ? rgb : null, audio, { video: job.video?.path ?? job.clipId, audio: job.audio?.path ?? job.video?.path ?? job.clipId }));
  const frames: ClipTensors['frames'] = {};
  if (rgb) frames.rgb = { data: rgb.frames, count: rgb.count };
  if (flow) frames.flow = { data: flow.frames, count: flow.count };
  // What decoded the first and the second input: video+audio, or for RGB + flow the RGB's decoder+image.
  const decoder = wantAudio ? `${decoders.video ?? '?'}+${decoders.audio ?? '?'}` : `${decoders.video ?? '?'}+image`;
  return { spectrogram, frames, decoder, warnings };
}

/** A job's result message (the worker's reply): the tensors, or the file at fault and the reason. */
export async function decodeJobResult(job: DecodeJob, ffmpeg: FfmpegExec, options: DecodeClipOptions = {}): Promise<DecodeResult> {
  const t0 = performance.now();
  try {
    const r = await decodeClip(job, ffmpeg, options);
    return { type: 'result', id: job.id, ok: true, ...r, ms: performance.now() - t0 };
  } catch (err) {
    const failure = err instanceof ClipFailure ? err : null;
    return {
      type: 'result',
      id: job.id,
      ok: false,
      path: failure?.path ?? job.video?.path ?? job.clipId,
      reason: failure?.message ?? `decoder error: ${message(err)}`,
      inherent: failure?.inherent ?? false,
      ms: performance.now() - t0,
    };
  }
}
