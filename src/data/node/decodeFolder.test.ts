/**
 * Node decoding against the page's: the repository's fixture clips decoded by the Node path (system ffmpeg) and by
 * the page's path run in Node (decodeClip with ffmpeg.wasm and no WebCodecs, what the page does without WebCodecs);
 * the decoded content against what the fixture script put in (class colours, tones, flow values); the disk cache;
 * broken clips.
 */
import { appendFileSync, copyFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyFixtures, mediaFixtures } from '../../../test/support/mediaFixtures';
import type { Dataset } from '../../core/dataset';
import { decodeClip, decodeJobResult, type FfmpegExec } from '../decode/decodeClip';
import type { DecodeJob } from '../decode/messages';
import { dequantizeSpectrogram } from '../decode/spectrogramCodec';
import { decodeFolder, nodeDecodeOptions, resolveDecoder } from './decodeFolder';
import { diskFile } from './folderFiles';
import { findSystemFfmpeg, NativeFfmpeg } from './nativeFfmpeg';
import { WasmFfmpeg } from './wasmFfmpeg';
import { AUDIO_FLOW, AUDIO_RGB } from '../../core/modalities';
import type { DecodedClip } from '../decodedDataset';

const fx = mediaFixtures();
const ffmpeg = findSystemFfmpeg();
const skipReason = !fx.ok ? fx.reason : !ffmpeg ? 'no system ffmpeg on PATH' : null;
if (skipReason) console.warn(`skipping Node decoding tests: ${skipReason}`);
const FIX = fx.ok ? fx.dir : '';

/**
 * Below this log magnitude (|S| < 3.4e-4, 118 dB under a full-scale sine's 256) the log spectrogram only measures
 * rounding: AAC and Opus decode one float32 ulp apart in about 0.1 % of their samples between the system's libm and
 * ffmpeg.wasm's, which moves such bins by up to 0.2 in log while their magnitude |S| moves by less than 1e-6.
 */
const QUIET_LOG = -8;

async function job(id: number, video: string, audio: string | null, size: { frame: number; h: number; w: number; maxFrames: number }): Promise<DecodeJob> {
  const file = async (p: string) => ({ file: await diskFile(join(FIX, p)), path: p });
  return {
    id,
    clipId: video,
    modalities: AUDIO_RGB,
    video: await file(video),
    ...(audio ? { audio: await file(audio) } : {}),
    frameSize: size.frame,
    audioHeight: size.h,
    audioWidth: size.w,
    maxFrames: size.maxFrames,
  };
}

function spectrogramOf(codes: Uint16Array): Float32Array {
  const out = new Float32Array(codes.length);
  dequantizeSpectrogram(codes, out);
  return out;
}

/** An ffmpeg that counts its runs. */
function counting(): { wrap: (f: FfmpegExec) => FfmpegExec; runs: () => number; reset: () => void } {
  let runs = 0;
  return {
    wrap: (f) => ({ run: (...args) => (runs++, f.run(...args)) }),
    runs: () => runs,
    reset: () => (runs = 0),
  };
}

/** Mean of each channel over frame 0 of clip i. */
function frameMean(store: Dataset['train'], i: number, channels: number): number[] {
  const frame = store.readFrame(i, 0, channels === 2 ? 'flow' : 'rgb');
  const sums = new Array<number>(channels).fill(0);
  for (let p = 0; p < frame.length; p++) sums[p % channels] += frame[p];
  return sums.map((s) => s / (frame.length / channels));
}

/** The spectrogram row (frequency) with the highest mean of clip i. */
function peakRow(d: Dataset, store: Dataset['train'], i: number): number {
  const spec = new Float32Array(d.audioHeight * d.audioWidth);
  store.readAudio(i, spec, 0);
  let best = -Infinity;
  let row = -1;
  for (let y = 0; y < d.audioHeight; y++) {
    let s = 0;
    for (let x = 0; x < d.audioWidth; x++) s += spec[y * d.audioWidth + x];
    if (s > best) [best, row] = [s, y];
  }
  return row;
}

describe.skipIf(skipReason !== null)('Node decoding (system ffmpeg) against the page path (ffmpeg.wasm without WebCodecs)', () => {
  it('gives the same frames (at most 1 grey level) and spectrograms (at most 1e-3) on the fixture clips', async () => {
    // The METHOD.md spectrogram at full size (no resize), frames at the fast preset's 112 px.
    const size = { frame: 112, h: 257, w: 188, maxFrames: 3 };
    const clips: [string, string | null][] = [
      ['clips/h264_aac.mp4', null],
      ['clips/vp9_opus.webm', null],
      ['clips/flv1_mp3.flv', null],
      ['clips/h264_aac.flv', null],
      ['clips/xvid_mp3.avi', null],
      ['crema-d/VideoFlash/1001_DFA_ANG_XX.flv', 'crema-d/AudioWAV/1001_DFA_ANG_XX.wav'],
    ];
    const native = new NativeFfmpeg(ffmpeg!.command);
    const wasm = new WasmFfmpeg();
    const rows: string[] = [];
    let maxGrey = 0;
    let maxLoud = 0;
    for (const [i, [video, audio]] of clips.entries()) {
      const j = await job(i, video, audio, size);
      const node = await decodeClip(j, native, nodeDecodeOptions(native));
      const page = await decodeClip(j, wasm);
      expect(node.decoder, video).toBe('ffmpeg+ffmpeg');
      const [nf, pf] = [node.frames.rgb!, page.frames.rgb!];
      expect(nf.count, video).toBe(pf.count);
      expect(nf.data.length, video).toBe(pf.data.length);
      let grey = 0;
      for (let k = 0; k < nf.data.length; k++) grey = Math.max(grey, Math.abs(nf.data[k] - pf.data[k]));
      const a = spectrogramOf(node.spectrogram);
      const b = spectrogramOf(page.spectrogram);
      let loud = 0;
      let all = 0;
      let magnitude = 0;
      for (let k = 0; k < a.length; k++) {
        const d = Math.abs(a[k] - b[k]);
        all = Math.max(all, d);
        if (Math.max(a[k], b[k]) >= QUIET_LOG) loud = Math.max(loud, d);
        else magnitude = Math.max(magnitude, Math.abs(Math.exp(a[k]) - Math.exp(b[k])));
      }
      expect(grey, `${video}: frames`).toBeLessThanOrEqual(1);
      expect(loud, `${video}: spectrogram above ${QUIET_LOG}`).toBeLessThanOrEqual(1e-3);
      expect(magnitude, `${video}: magnitude of quiet bins`).toBeLessThanOrEqual(1e-6);
      maxGrey = Math.max(maxGrey, grey);
      maxLoud = Math.max(maxLoud, loud);
      rows.push(`${video}: frames ${grey}, spectrogram ${loud.toExponential(2)} (all bins ${all.toExponential(2)}, magnitude of quiet bins ${magnitude.toExponential(2)})`);
    }
    console.info(`Node vs page decoding, max differences:\n  ${rows.join('\n  ')}`);
    expect(maxGrey).toBeLessThanOrEqual(1);
    expect(maxLoud).toBeLessThanOrEqual(1e-3);
  });

  it('decodes every layout to what the fixtures hold: class colours, tones, flow values, the split', async () => {
    const opts = { preset: 'tiny' as const, cacheDir: null, decoder: 'ffmpeg' as const };
    const classes = await decodeFolder(join(FIX, 'class-folders'), opts);
    const d = classes.outcome.dataset!;
    expect(classes.outcome.failures).toEqual([]);
    expect([d.train.size, d.test.size, d.frameSize, d.audioHeight, d.audioWidth]).toEqual([6, 3, 32, 33, 24]);
    expect(d.classNames).toEqual(['blue', 'green', 'red']);
    // The fixture script's tones: red 400 Hz, green 800 Hz, blue 1600 Hz.
    const peaks: Record<string, number> = {};
    for (let i = 0; i < d.test.size; i++) {
      const name = d.classNames[d.test.labels[i]] as 'red' | 'green' | 'blue';
      const [r, g, b] = frameMean(d.test, i, 3);
      // A flat class colour with one small white square: the class channel dominates.
      const own = { red: r, green: g, blue: b }[name];
      expect(own, name).toBeGreaterThan(Math.max(r, g, b) - 1e-9);
      peaks[name] = peakRow(d, d.test, i);
    }
    // Higher tone, higher frequency row.
    expect(peaks.red).toBeLessThan(peaks.green);
    expect(peaks.green).toBeLessThan(peaks.blue);

    const ucf = await decodeFolder(join(FIX, 'ucf'), opts);
    const f = ucf.outcome.dataset!;
    expect(ucf.plan.pairs[0]).toEqual(['rgb', 'flow']);
    expect([f.modalities, f.train.size, f.test.size]).toEqual([['rgb', 'flow'], 4, 2]);
    // The fixture's flow: u is 168 for ApplyEyeMakeup and 88 for Archery, v is 128 (JPEG, so within a few levels);
    // its videos are orange (ApplyEyeMakeup) and purple (Archery).
    for (const store of [f.train, f.test]) {
      for (let i = 0; i < store.size; i++) {
        const eye = f.classNames[store.labels[i]] === 'ApplyEyeMakeup';
        const [u, v] = frameMean(store, i, 2);
        expect(Math.abs(u - (eye ? 168 : 88))).toBeLessThan(3);
        expect(Math.abs(v - 128)).toBeLessThan(3);
        const [r, g, b] = frameMean(store, i, 3);
        expect(eye ? r > 200 && b < 80 : r > 90 && g < 60 && b > 90, `RGB ${[r, g, b]}`).toBe(true);
      }
    }
    // Audio + flow on request: the AVI's MP3 track becomes the spectrogram.
    const af = await decodeFolder(join(FIX, 'ucf'), { ...opts, modalities: AUDIO_FLOW });
    expect([af.outcome.dataset!.modalities, af.outcome.dataset!.train.size, af.outcome.failures.length]).toEqual([['spectrogram', 'flow'], 4, 0]);

    const frames = await decodeFolder(join(FIX, 'frame-folders'), opts);
    const ff = frames.outcome.dataset!;
    expect([ff.train.size, ff.test.size, frames.outcome.decoders]).toEqual([2, 2, { 'image+ffmpeg': 4 }]);
    for (let i = 0; i < ff.train.size; i++) {
      const [r, , b] = frameMean(ff.train, i, 3);
      expect(ff.classNames[ff.train.labels[i]] === 'red' ? r > b : b > r).toBe(true);
    }

    const crema = await decodeFolder(join(FIX, 'crema-d'), opts);
    expect([crema.plan.layout, crema.plan.splitSource, crema.outcome.dataset!.train.size, crema.outcome.dataset!.test.size]).toEqual(['crema-d', 'files', 4, 4]);
    // The test clips are the last actor of each emotion (train.csv / test.csv).
    expect(crema.outcome.dataset!.test.ids).toEqual(['1002_IEO_NEU_XX', '1002_IEO_HAP_XX', '1002_IEO_SAD_XX', '1002_IEO_ANG_XX'].sort());
  });

  it('caches decoded clips on disk: a second run decodes nothing, a changed mtime or size decodes that clip again', async () => {
    const root = copyFixtures({ set: 'class-folders' });
    const dir = join(root, 'set');
    const cacheDir = join(root, 'cache');
    const ff = counting();
    const run = () => decodeFolder(dir, { preset: 'tiny', cacheDir, decoder: 'ffmpeg', wrapFfmpeg: ff.wrap });
    const first = await run();
    expect([first.outcome.decoded, first.outcome.cached, ff.runs()]).toEqual([9, 0, 9]);
    expect(readdirSync(cacheDir).filter((n) => n.endsWith('.clip'))).toHaveLength(9);

    ff.reset();
    const second = await run();
    expect([second.outcome.decoded, second.outcome.cached, ff.runs()]).toEqual([0, 9, 0]);
    // The cached clips are the decoded ones, byte for byte.
    const tensors = (c: DecodedClip) => [c.id, c.frames.rgb!.count, [...c.spectrogram], [...c.frames.rgb!.data]];
    expect(second.outcome.clips.map(tensors)).toEqual(first.outcome.clips.map(tensors));

    const touched = join(dir, 'train', 'red', 'clip1.mp4');
    utimesSync(touched, new Date(), new Date(Date.now() + 60_000));
    ff.reset();
    const third = await run();
    expect([third.outcome.decoded, third.outcome.cached, ff.runs()]).toEqual([1, 8, 1]);

    appendFileSync(join(dir, 'test', 'blue', 'clip3.mp4'), new Uint8Array(16));
    ff.reset();
    const fourth = await run();
    expect([fourth.outcome.decoded, fourth.outcome.cached, ff.runs()]).toEqual([1, 8, 1]);
  });

  it('reports broken clips by file and reason, as the page path words them, and decodes the rest', async () => {
    const root = copyFixtures({ mixed: 'class-folders' });
    const dir = join(root, 'mixed');
    copyFileSync(join(FIX, 'clips', 'truncated.mp4'), join(dir, 'train', 'red', 'truncated.mp4'));
    copyFileSync(join(FIX, 'clips', 'not_media.mp4'), join(dir, 'train', 'green', 'not_media.mp4'));
    copyFileSync(join(FIX, 'clips', 'no_audio.mp4'), join(dir, 'train', 'blue', 'no_audio.mp4'));
    writeFileSync(join(dir, 'test', 'red', 'noise.avi'), Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251));
    const ff = counting();
    const run = () => decodeFolder(dir, { preset: 'tiny', cacheDir: join(root, 'cache'), decoder: 'ffmpeg', wrapFfmpeg: ff.wrap });
    const r = await run();
    const reasons = Object.fromEntries(r.outcome.failures.map((f) => [f.path, f.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['mixed/test/red/noise.avi', 'mixed/train/blue/no_audio.mp4', 'mixed/train/green/not_media.mp4', 'mixed/train/red/truncated.mp4']);
    expect(reasons['mixed/train/blue/no_audio.mp4']).toMatch(/no audio track/);
    expect(reasons['mixed/train/green/not_media.mp4']).toMatch(/not a media file/);
    expect(reasons['mixed/train/red/truncated.mp4']).toMatch(/truncated/);
    expect(r.outcome.decoded).toBe(9);
    expect([r.outcome.dataset!.train.size, r.outcome.dataset!.test.size]).toEqual([6, 3]);
    // The page's path (ffmpeg.wasm, browser decoders tried first) gives each file the same reason.
    const wasm = new WasmFfmpeg();
    const size = { frame: 32, h: 33, w: 24, maxFrames: 3 };
    for (const [path, reason] of Object.entries(reasons)) {
      const file = { file: await diskFile(join(root, path)), path };
      const page = await decodeJobResult({ id: 0, clipId: path, modalities: AUDIO_RGB, video: file, frameSize: size.frame, audioHeight: size.h, audioWidth: size.w, maxFrames: size.maxFrames }, wasm);
      expect(page.ok ? null : page.reason, path).toBe(reason);
    }
    // Failures that come from the file are cached too: a second run tries nothing.
    ff.reset();
    const again = await run();
    expect([again.outcome.failures.length, again.outcome.cached, ff.runs()]).toEqual([4, 9, 0]);
  });

  it('falls back to ffmpeg.wasm when there is no system ffmpeg', () => {
    const saved = process.env.FFMPEG;
    process.env.FFMPEG = join(FIX, 'no-such-ffmpeg');
    try {
      expect(resolveDecoder('auto')).toEqual({ kind: 'wasm' });
      expect(() => resolveDecoder('ffmpeg')).toThrow(/no ffmpeg found on PATH .*no-such-ffmpeg.*--decoder wasm/);
    } finally {
      if (saved === undefined) delete process.env.FFMPEG;
      else process.env.FFMPEG = saved;
    }
    expect(resolveDecoder('auto').kind).toBe('ffmpeg');
  });
});
