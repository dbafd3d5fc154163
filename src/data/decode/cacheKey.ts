/**
 * Cache keys of decoded clips: the identity of every input file (path, size, last-modified time), the sizes the clip
 * was decoded to, the cap on frames and a format version. The label and split are not part of the key: they do not
 * change the decoded tensors, so a new split list reuses the cache.
 */
import type { ModalityPair } from '../../core/modalities';
import type { FileRef, PlannedClip } from '../layouts';

/** Bumped whenever the decoded bytes for the same inputs would change (pipeline, resize, frame choice). */
// 2: clips carry warnings (decoding errors, duration check); entries of 1 would read as clean.
// 3: a clip holds the tensors of its dataset's two branches (spectrogram, RGB, flow), keyed by the pair.
export const DECODE_FORMAT_VERSION = 3;

export interface DecodeSettings {
  preset: string;
  audioHeight: number;
  audioWidth: number;
  frameSize: number;
  /** Cap on the 1 fps frames kept per clip (evenly spaced when a clip has more). */
  maxFrames: number;
}


/** cyrb53: a fast 53-bit string hash (collisions negligible for millions of keys). */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** One file's identity: path, size and modification time. */
export function fileIdentity(f: FileRef): string {
  return `${f.path}\u0001${f.size}\u0001${f.lastModified}`;
}

/**
 * The key of a clip's decoded tensors: `v3/<preset>/<S>/<H>x<W>/k<maxFrames>/<pair>/<hash>/<main path>`, where the
 * pair names the kinds decoded (`spectrogram+rgb`) and the hash covers every input file's identity (video, audio,
 * each frame). The readable tail is for inspection only.
 */
export function clipCacheKey(clip: PlannedClip, s: DecodeSettings, modalities: ModalityPair): string {
  const source = modalities.join('+');
  const parts: string[] = [source];
  if (clip.video) parts.push('video', fileIdentity(clip.video));
  if (clip.audio) parts.push('audio', fileIdentity(clip.audio));
  for (const [name, list] of [
    ['frames', clip.frames],
    ['flowU', clip.flowU],
    ['flowV', clip.flowV],
  ] as const) {
    if (list) parts.push(name, String(list.length), ...list.map(fileIdentity));
  }
  const description = parts.join('\u0002');
  const main = clip.video?.path ?? clip.frames?.[0]?.path ?? clip.audio?.path ?? clip.id;
  return [
    `v${DECODE_FORMAT_VERSION}`,
    s.preset,
    s.frameSize,
    `${s.audioHeight}x${s.audioWidth}`,
    `k${s.maxFrames}`,
    source,
    hash53(description).toString(36),
    main,
  ].join('/');
}
