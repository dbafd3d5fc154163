/** The duration check of decodeClip: less decoded than the file claims, and very short audio, are warnings. */
import { describe, expect, it } from 'vitest';
import { durationWarnings } from './decodeClip';

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
