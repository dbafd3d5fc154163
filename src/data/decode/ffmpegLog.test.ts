import { describe, expect, it } from 'vitest';
import { decodeErrorLines, describeDecodeErrors, explainFfmpegFailure, parseContainerDuration, parseF32leOutput, parseInputStreams } from './ffmpegLog';

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

  it('explains an unknown codec tag and AV1 without a software decoder', () => {
    const unknown = [
      "[avi @ 0xdeea00] Could not find codec parameters for stream 0 (Video: none (ZZZZ / 0x5A5A5A5A), none, 160x120): unknown codec",
      "Input #0, avi, from '/in/input.avi':",
      '  Stream #0:0: Video: none (ZZZZ / 0x5A5A5A5A), none, 160x120, SAR 1:1 DAR 4:3, 10 fps, 10 tbr, 10 tbn',
      'Decoder (codec none) not found for input stream #0:0',
    ];
    expect(explainFfmpegFailure(unknown)).toBe("unsupported codec (unknown codec tag 'ZZZZ'): no decoder knows this stream");
    const av1 = [
      "Input #0, matroska,webm, from '/in/input.mkv':",
      '  Stream #0:0: Video: av1 (Main), yuv420p(tv, progressive), 160x120, SAR 1:1 DAR 4:3, 10 fps, 10 tbr, 1k tbn (default)',
      '[av1 @ 0xdf12a0] Missing Sequence Header.',
      'Error while decoding stream #0:0: Invalid data found when processing input',
      'Conversion failed!',
    ];
    expect(explainFfmpegFailure(av1)).toMatch(/^unsupported codec av1 \(this ffmpeg has no software AV1 decoder/);
  });

  it('reads the duration the container claims', () => {
    expect(parseContainerDuration(h264Aac)).toBe(1.5);
    expect(parseContainerDuration(['  Duration: 00:10:00.02, start: 0.000000, bitrate: 30 kb/s'])).toBeCloseTo(600.02, 6);
    expect(parseContainerDuration(['  Duration: N/A, bitrate: N/A'])).toBeNull();
    expect(parseContainerDuration(truncated)).toBeNull();
  });

  it('finds the decoding errors of a damaged stream, and none in clean logs', () => {
    // The system ffmpeg on an MPEG-4 part 2 AVI with bytes flipped mid-stream (its progress line ends in \r).
    const damaged = [
      ...xvid,
      'frame=    1 fps=0.0 q=-0.0 size=       3kB time=00:00:00.23 bitrate= 104.5kbits/s speed= 383x    \r[mpeg4 @ 0x55888d272740] ac-tex damaged at 1 5',
      '[mpeg4 @ 0x55888d272740] Error at MB: 56',
      '[mpeg4 @ 0x55888d272740] illegal mb_num in video packet (104 80) ',
      '[mpeg4 @ 0x55888d272740] concealing 50 DC, 50 AC, 50 MV errors in I frame',
      '/in/input.avi: corrupt decoded frame in stream 0',
      'frame=    4 fps=0.0 q=-0.0 Lsize=      12kB time=00:00:03.10 bitrate=  31.7kbits/s speed= 757x    ',
    ];
    const errors = decodeErrorLines(damaged);
    expect(errors).toEqual([
      'mpeg4: ac-tex damaged at 1 5',
      'mpeg4: Error at MB: 56',
      'mpeg4: illegal mb_num in video packet (104 80)',
      'mpeg4: concealing 50 DC, 50 AC, 50 MV errors in I frame',
      '/in/input.avi: corrupt decoded frame in stream 0',
    ]);
    expect(describeDecodeErrors(errors)).toBe('decoding reported 5 errors (e.g. "mpeg4: ac-tex damaged at 1 5"); the stream is damaged and some frames or sounds may be wrong');
    expect(decodeErrorLines(['[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55c1] stream 0, offset 0x1a2b: partial file'])).toEqual(['mov,mp4,m4a,3gp,3g2,mj2: stream 0, offset 0x1a2b: partial file']);
    expect(decodeErrorLines(['Error while decoding stream #0:1: Invalid data found when processing input'])).toHaveLength(1);
    // Clean decodes, and the scaler's remark on JPEG's full-range pixels, are not damage.
    for (const log of [h264Aac, xvid, noAudio]) expect(decodeErrorLines(log)).toEqual([]);
    expect(decodeErrorLines(['[swscaler @ 0x5627] deprecated pixel format used, make sure you did set range correctly'])).toEqual([]);
  });
});
