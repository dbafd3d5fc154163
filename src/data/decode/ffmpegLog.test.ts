import { describe, expect, it } from 'vitest';
import { explainFfmpegFailure, parseF32leOutput, parseInputStreams } from './ffmpegLog';

// Logs of ffmpeg 5.1 (the same major version as @ffmpeg/core 0.12) running decodeClip's command on the fixtures.
const h264Aac = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from '/in/input.mp4':
  Duration: 00:00:01.50, start: 0.000000, bitrate: 213 kb/s
  Stream #0:0[0x1](und): Video: h264 (Constrained Baseline) (avc1 / 0x31637661), yuv420p(progressive), 160x120 [SAR 1:1 DAR 4:3], 72 kb/s, 10 fps, 10 tbr, 10240 tbn (default)
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s (default)
Stream mapping:
  Stream #0:0 -> #0:0 (h264 (native) -> rawvideo (native))
  Stream #0:1 -> #1:0 (aac (native) -> pcm_f32le (native))
Output #1, f32le, to '/out/a.f32':
  Stream #1:0(und): Audio: pcm_f32le, 44100 Hz, stereo, flt, 2822 kb/s (default)
Output #0, rawvideo, to '/out/v.rgb':
  Stream #0:0(und): Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, gbr/unknown/unknown, progressive), 32x32 [SAR 4:3 DAR 4:3], q=2-31, 245 kb/s, 10 fps, 10 tbn (default)
video:6kB audio:520kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: unknown`.split('\n');

const xvid = `Input #0, avi, from '/in/input.avi':
  Duration: 00:00:01.30, start: 0.000000, bitrate: 178 kb/s
  Stream #0:0: Video: mpeg4 (Simple Profile) (xvid / 0x64697678), yuv420p, 160x120 [SAR 1:1 DAR 4:3], 25 fps, 25 tbr, 25 tbn
  Stream #0:1: Audio: mp3 (U[0][0][0] / 0x0055), 44100 Hz, mono, fltp, 64 kb/s
Output #1, f32le, to '/out/a.f32':
  Stream #1:0: Audio: pcm_f32le, 44100 Hz, mono, flt, 1411 kb/s`.split('\n');

const noAudio = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from '/in/input.mp4':
  Duration: 00:00:01.00, start: 0.000000, bitrate: 88 kb/s
  Stream #0:0[0x1](und): Video: h264 (Constrained Baseline) (avc1 / 0x31637661), yuv420p(progressive), 160x120 [SAR 1:1 DAR 4:3], 81 kb/s, 10 fps, 10 tbr, 10240 tbn (default)
Output #1, f32le, to '/out/a.f32':
Output file #1 does not contain any stream`.split('\n');

const truncated = [
  '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5587ebdada40] moov atom not found',
  '/in/input.mp4: Invalid data found when processing input',
];

describe('ffmpeg log parsing', () => {
  it('reads the input streams and the frame rate', () => {
    expect(parseInputStreams(h264Aac)).toEqual({ video: ['h264'], audio: ['aac'], fps: 10 });
    expect(parseInputStreams(xvid)).toEqual({ video: ['mpeg4'], audio: ['mp3'], fps: 25 });
    expect(parseInputStreams(noAudio)).toEqual({ video: ['h264'], audio: [], fps: 10 });
    expect(parseInputStreams(truncated)).toEqual({ video: [], audio: [], fps: null });
  });

  it('reads the raw audio output format', () => {
    expect(parseF32leOutput(h264Aac)).toEqual({ sampleRate: 44100, channels: 2 });
    expect(parseF32leOutput(xvid)).toEqual({ sampleRate: 44100, channels: 1 });
    expect(parseF32leOutput(['  Stream #1:0: Audio: pcm_f32le, 48000 Hz, 5.1(side), flt, 9216 kb/s'])).toEqual({ sampleRate: 48000, channels: 6 });
    expect(parseF32leOutput(['  Stream #1:0: Audio: pcm_f32le, 48000 Hz, 3 channels, flt, 4608 kb/s'])).toEqual({ sampleRate: 48000, channels: 3 });
    // An unknown layout name falls back to the bit rate.
    expect(parseF32leOutput(['  Stream #1:0: Audio: pcm_f32le, 16000 Hz, weird, flt, 1024 kb/s'])).toEqual({ sampleRate: 16000, channels: 2 });
    expect(parseF32leOutput(noAudio)).toBeNull();
  });

  it('explains failures', () => {
    expect(explainFfmpegFailure(truncated)).toMatch(/truncated or incomplete file/);
    expect(explainFfmpegFailure(['[in] Invalid data found when processing input'])).toMatch(/not a readable media file/);
    expect(explainFfmpegFailure(['Decoder (codec hevc) not found for input stream #0:0'])).toMatch(/unsupported codec hevc/);
    expect(explainFfmpegFailure(['something', 'Error while opening decoder for input stream #0:0 : Invalid argument'])).toMatch(
      /ffmpeg could not decode it \(Error while opening decoder/,
    );
  });
});
