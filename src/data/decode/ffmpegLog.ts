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

/** The duration the input's container claims (`Duration: 00:01:02.50`), in seconds; null when it says N/A or nothing. */
export function parseContainerDuration(lines: readonly string[]): number | null {
  for (const line of lines) {
    const m = /^\s*Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(line);
    if (m) return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  }
  return null;
}

/**
 * What ffmpeg said while decoding a damaged stream: a decoder's errors (`[mpeg4 @ 0x…] ac-tex damaged at 1 5`,
 * `Error at MB: 56`, `concealing 50 DC, 50 AC, 50 MV errors`), `Error while decoding stream #0:0`, `corrupt decoded
 * frame`. ffmpeg exits 0 on such files and writes the damaged (concealed) frames; the lab keeps the clip but warns.
 * A demuxer's complaint (`partial file`) counts; the filters' and the scaler's remarks do not. Returns the lines, trimmed.
 */
export function decodeErrorLines(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of lines) {
    // The system ffmpeg's progress line shares a line with the next message after a carriage return.
    for (const line of raw.split(/\r/)) {
      const text = line.replace(/^.*?(?=\[[\w:.,-]+ @ 0x[0-9a-f]+\])/, '').trim();
      const tagged = /^\[([\w:.,-]+) @ 0x[0-9a-f]+\] (.*)$/.exec(text);
      if (tagged) {
        const [, component, what] = tagged;
        if (DEMUXER_OR_FILTER.test(component)) continue;
        if (/damaged|error|concealing|corrupt|illegal|invalid|overread|out of range|missing|mismatch|partial file|fail/i.test(what)) out.push(`${component}: ${what.trim()}`);
      } else if (/^Error while decoding stream #|corrupt decoded frame in stream/.test(text)) {
        out.push(text);
      }
    }
  }
  return out;
}

/** Log components whose words are not about the input's data: filters, the scaler, the raw outputs. */
const DEMUXER_OR_FILTER = /^(swscaler|Parsed_|graph|auto_scale|auto_resampler|rawvideo|f32le|AVIOContext|out#)/;

/**
 * 'decoding reported 4 errors (e.g. "mpeg4: ac-tex damaged at 1 5") …': a warning's words for decodeErrorLines'
 * result; the example is the first error of the `prefer`red decoder (the video's) when it has one.
 */
export function describeDecodeErrors(errors: readonly string[], prefer?: string): string {
  const example =
    (prefer ? errors.find((e) => e.startsWith(`${prefer}: `)) : undefined) ?? errors.find((e) => !/^Error while decoding stream|corrupt decoded frame/.test(e)) ?? errors[0];
  return `decoding reported ${errors.length === 1 ? 'an error' : `${errors.length} errors`} (e.g. "${example}"); the stream is damaged and some frames or sounds may be wrong`;
}

/** Why ffmpeg failed, from its log: the first matching known cause, else the last error line. */
export function explainFfmpegFailure(lines: readonly string[]): string {
  const text = lines.join('\n');
  const streams = parseInputStreams(lines);
  const codec = /Decoder \(codec ([\w-]+)\) not found/.exec(text) ?? /Unsupported codec with id \d+ for input stream (\d+)/.exec(text);
  if (/moov atom not found/.test(text)) return `truncated or incomplete file (the MP4 index "moov" is missing)`;
  if (/error reading header/.test(text)) return `truncated or damaged file (its header cannot be read)`;
  if (codec?.[1] === 'none') {
    const tag = /Video: none \((\w{1,4}) \//.exec(text) ?? /Audio: none \((\w{1,4}) \//.exec(text);
    return `unsupported codec${tag ? ` (unknown codec tag '${tag[1]}')` : ''}: no decoder knows this stream`;
  }
  if (codec) return `unsupported codec ${codec[1]} (neither the browser nor ffmpeg.wasm decodes it)`;
  // ffmpeg.wasm's only AV1 decoder is the hardware-accelerated one, which it cannot use.
  if (streams.video[0] === 'av1' && /Missing Sequence Header|hardware accelerated AV1|Your platform doesn't support/i.test(text)) {
    return `unsupported codec av1 (this ffmpeg has no software AV1 decoder; the browser decodes AV1 in MP4/WebM/MKV where it can)`;
  }
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
