/**
 * Reading ffmpeg's log: the input streams, the format of the raw audio it wrote (sample rate and channels, which the
 * f32le output does not record), and a reason a user can act on when a file fails. Pure; unit-tested on real logs.
 */

export interface InputStreams {
  video: string[];
  audio: string[];
  /** Frame rate of the first video stream (its `fps`, else `tbr`), or null. */
  fps: number | null;
}

const LAYOUT_CHANNELS: Record<string, number> = {
  mono: 1,
  stereo: 2,
  downmix: 2,
  '2.1': 3,
  '3.0': 3,
  '3.0(back)': 3,
  '4.0': 4,
  quad: 4,
  'quad(side)': 4,
  '3.1': 4,
  '5.0': 5,
  '5.0(side)': 5,
  '4.1': 5,
  '5.1': 6,
  '5.1(side)': 6,
  '6.0': 6,
  '6.0(front)': 6,
  hexagonal: 6,
  '6.1': 7,
  '6.1(back)': 7,
  '6.1(front)': 7,
  '7.0': 7,
  '7.0(front)': 7,
  '7.1': 8,
  '7.1(wide)': 8,
  '7.1(wide-side)': 8,
  octagonal: 8,
  hexadecagonal: 16,
  '22.2': 24,
};

/** Codecs of the input file's streams (the `Input #0` section). */
export function parseInputStreams(lines: readonly string[]): InputStreams {
  const out: InputStreams = { video: [], audio: [], fps: null };
  let inInput = false;
  for (const line of lines) {
    if (/^Input #\d+/.test(line.trim())) inInput = true;
    else if (/^Output #\d+/.test(line.trim()) || /^Stream mapping:/.test(line.trim())) inInput = false;
    if (!inInput) continue;
    const m = /Stream #\d+:\d+.*?: (Video|Audio): ([A-Za-z0-9_]+)/.exec(line);
    if (!m) continue;
    if (m[1] === 'Video') {
      out.video.push(m[2]);
      if (out.fps === null) {
        const fps = /, ([\d.]+)(k?) fps/.exec(line) ?? /, ([\d.]+)(k?) tbr/.exec(line);
        if (fps) out.fps = Number(fps[1]) * (fps[2] === 'k' ? 1000 : 1);
      }
    } else {
      out.audio.push(m[2]);
    }
  }
  return out;
}

/** Sample rate and channel count of the pcm_f32le output stream, or null if the log does not show one. */
export function parseF32leOutput(lines: readonly string[]): { sampleRate: number; channels: number } | null {
  let found: { sampleRate: number; channels: number } | null = null;
  for (const line of lines) {
    const m = /Audio: pcm_f32le[^,]*, (\d+) Hz, ([^,]+), flt(?:, (\d+) kb\/s)?/.exec(line);
    if (!m) continue;
    const sampleRate = Number(m[1]);
    const layout = m[2].trim();
    let channels = LAYOUT_CHANNELS[layout] ?? 0;
    const counted = /^(\d+) channels/.exec(layout);
    if (counted) channels = Number(counted[1]);
    if (!channels && m[3]) channels = Math.round((Number(m[3]) * 1000) / (sampleRate * 32));
    if (sampleRate > 0 && channels > 0) found = { sampleRate, channels };
  }
  return found;
}

/** Why ffmpeg failed, from its log: the first matching known cause, else the last error line. */
export function explainFfmpegFailure(lines: readonly string[]): string {
  const text = lines.join('\n');
  const streams = parseInputStreams(lines);
  const codec = /Decoder \(codec ([\w-]+)\) not found/.exec(text) ?? /Unsupported codec with id \d+ for input stream (\d+)/.exec(text);
  if (/moov atom not found/.test(text)) return `truncated or incomplete file (the MP4 index "moov" is missing)`;
  if (codec) return `unsupported codec ${codec[1]} (neither the browser nor ffmpeg.wasm decodes it)`;
  if (/Invalid data found when processing input/.test(text)) {
    return `not a readable media file (ffmpeg found invalid data; corrupt, truncated or not a video)`;
  }
  if (/Output file #\d+ does not contain any stream|matches no streams/.test(text)) {
    if (streams.video.length === 0 && streams.audio.length === 0) return `no audio or video track`;
  }
  if (/could not find codec parameters|Could not find codec parameters/i.test(text)) {
    return `could not read the stream parameters (corrupt or truncated file)`;
  }
  const errors = lines.filter((l) => /error|invalid|corrupt|fail|not found|unsupported/i.test(l)).map((l) => l.trim());
  const last = errors[errors.length - 1] ?? lines.filter((l) => l.trim()).slice(-1)[0] ?? 'no output';
  return `ffmpeg could not decode it (${last})`;
}
