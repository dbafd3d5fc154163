/**
 * The duration check of decodeClip: less decoded than the file claims, and very short audio, are warnings; a damaged
 * stream (ffmpeg's decoder errors) is a warning; a fragment of audio is no clip.
 */
import { describe, expect, it } from 'vitest';
import { decodeClip, durationWarnings, type FfmpegExec } from './decodeClip';
import type { DecodeJob } from './messages';
import { AUDIO_RGB } from '../../core/modalities';

const paths = { video: 'set/a/clip.mp4', audio: 'set/a/clip.wav' };
const frames = (share: number, claimedSeconds: number) => ({ frames: new Uint8Array(0), count: 1, coverage: { share, claimedSeconds } });
const audio = (seconds: number, claimedSeconds?: number) => ({
  channels: [new Float32Array(Math.round(seconds * 1000))],
  sampleRate: 1000,
  ...(claimedSeconds !== undefined ? { claimedSeconds } : {}),
});

describe('durationWarnings', () => {
  it('warns when the video decoded for far less than the file claims', () => {
    expect(durationWarnings(frames(0.5, 4), audio(3, 4), paths)).toEqual(['clip.mp4: the video decoded for about 2.0 s of the 4.0 s the file claims (truncated or damaged?)']);
    expect(durationWarnings(frames(1 / 600, 600), audio(3, 600), paths)[0]).toMatch(/about 1.0 s of the 600 s/);
  });

  it('does not warn about whole clips, or about the 1 fps rounding of short ones', () => {
    expect(durationWarnings(frames(1, 4), audio(3, 4), paths)).toEqual([]);
    // 1.02 s (audio a little longer than the video): one 1 fps frame of the two the rounding asks for.
    expect(durationWarnings(frames(0.5, 1.02), audio(1.02, 1.02), paths)).toEqual([]);
    expect(durationWarnings(null, audio(3), paths)).toEqual([]);
  });

  it('warns when the audio decoded for far less than claimed (of the 3 s the spectrogram takes)', () => {
    expect(durationWarnings(null, audio(0.1, 2), paths)).toEqual(['clip.wav: the audio decoded for 0.1 s of the 2.0 s the file claims (truncated or damaged?)']);
    // A 10-minute file: 3 s is all that is decoded, and all that is needed.
    expect(durationWarnings(null, audio(3.1, 600), paths)).toEqual([]);
  });

  it('warns about audio too short to fill the spectrogram', () => {
    expect(durationWarnings(null, audio(0.2, 0.2), paths)).toEqual(["clip.wav: only 0.20 s of audio; it is repeated to fill the spectrogram's 3 s"]);
    expect(durationWarnings(null, audio(0.6, 0.6), paths)).toEqual([]);
  });
});

describe('decodeClip with an ffmpeg that reports damage', () => {
  const log = (extra: string[]) => [
    "Input #0, avi, from '/in/input.avi':",
    '  Duration: 00:00:04.00, start: 0.000000, bitrate: 178 kb/s',
    '  Stream #0:0: Video: mpeg4 (Simple Profile) (xvid / 0x64697678), yuv420p, 160x120, 10 fps, 10 tbr, 10 tbn',
    '  Stream #0:1: Audio: mp3 (U[0][0][0] / 0x0055), 44100 Hz, mono, fltp, 64 kb/s',
    "Output #1, f32le, to '/out/a.f32':",
    '  Stream #1:0: Audio: pcm_f32le, 44100 Hz, mono, flt, 1411 kb/s',
    ...extra,
  ];
  /** One run's answer: `frames` 1 fps frames of 2 x 2 and `samples` audio samples. */
  const fake = (frames: number, samples: number, extra: string[] = []): FfmpegExec => ({
    run: async () => ({
      ret: 0,
      log: log(extra),
      ms: 1,
      outputs: new Map([
        ['v.rgb', new Uint8Array(frames * 2 * 2 * 3).fill(100)],
        ['a.f32', new Uint8Array(new Float32Array(samples).fill(0.1).buffer)],
      ]),
    }),
  });
  const job: DecodeJob = {
    id: 1,
    clipId: 'set/a/clip.avi',
    modalities: AUDIO_RGB,
    video: { file: new File([new Uint8Array(8)], 'clip.avi'), path: 'set/a/clip.avi' },
    frameSize: 2,
    audioHeight: 33,
    audioWidth: 24,
    maxFrames: 3,
  };

  it('keeps a damaged, short-decoded clip with both warnings naming the file', async () => {
    const r = await decodeClip(job, fake(2, 3 * 44100, ['[mpeg4 @ 0x1] ac-tex damaged at 1 5', '[mpeg4 @ 0x1] Error at MB: 56']), { webcodecs: false });
    expect(r.warnings).toEqual([
      'clip.avi: decoding reported 2 errors (e.g. "mpeg4: ac-tex damaged at 1 5"); the stream is damaged and some frames or sounds may be wrong',
      'clip.avi: the video decoded for about 2.0 s of the 4.0 s the file claims (truncated or damaged?)',
    ]);
  });

  it('a clean clip has no warning', async () => {
    expect((await decodeClip(job, fake(4, 3 * 44100), { webcodecs: false })).warnings).toEqual([]);
  });

  it('refuses audio that decoded to a fragment', async () => {
    await expect(decodeClip(job, fake(1, 400), { webcodecs: false })).rejects.toThrow(/^the audio track decoded to only 9 ms of the 4\.0 s the file claims \(truncated or damaged\?\)$/);
  });
});
