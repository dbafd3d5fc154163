/**
 * The dropped files as the layout planners see them: each classified by extension (video, audio, image, text)
 * with its folders, stem and extension, or set aside with the reason (hidden, empty, unknown extension); the
 * collector of ignored files and warnings; and the small text lists some layouts read.
 */
import { naturalCompare, normalisePath, splitExt } from './paths';
import { DatasetLayoutError, type FileRef, type IgnoredFile, type IgnoreKind, type ReadText } from './types';

const VIDEO_EXTS = new Set(['mp4', 'm4v', 'mov', 'webm', 'mkv', 'flv', 'avi', 'mpg', 'mpeg', 'ogv', '3gp', 'wmv']);
const AUDIO_EXTS = new Set(['wav', 'mp3', 'm4a', 'aac', 'ogg', 'oga', 'opus', 'flac']);
const IMAGE_EXTS = new Set(['jpg', 'jpeg', 'png']);
const TEXT_EXTS = new Set(['txt', 'csv']);
const JUNK_NAMES = new Set(['thumbs.db', 'desktop.ini', '__macosx']);

export type FileKind = 'video' | 'audio' | 'image' | 'text';

export interface Entry<F extends FileRef> {
  file: F;
  /** Directory components of the normalised path. */
  dirs: string[];
  /** Normalised directory path ('' at the root). */
  dir: string;
  name: string;
  stem: string;
  /** Lower case, without the dot ('' when none). */
  ext: string;
  kind: FileKind;
}

/** The files left out (with reasons) and the warnings of one planning run. */
export class Collector {
  readonly ignored: IgnoredFile[] = [];
  readonly warnings: string[] = [];

  ignore(path: string, kind: IgnoreKind, reason: string): void {
    this.ignored.push({ path, kind, reason });
  }
}

/** True for a video or audio extension (lower case, without the dot). */
export function isMediaExt(ext: string): boolean {
  return VIDEO_EXTS.has(ext) || AUDIO_EXTS.has(ext);
}

/** Classifies the files; hidden, empty and unknown ones go to `ignored`. */
export function toEntries<F extends FileRef>(files: readonly F[], out: Collector): Entry<F>[] {
  const entries: Entry<F>[] = [];
  for (const file of files) {
    const parts = normalisePath(file.path).split('/');
    const name = parts[parts.length - 1];
    const dirs = parts.slice(0, -1);
    if (parts.some((p) => p.startsWith('.') || JUNK_NAMES.has(p.toLowerCase()))) {
      out.ignore(file.path, 'hidden', 'hidden or system file');
      continue;
    }
    const { stem, ext } = splitExt(name);
    let kind: FileKind;
    if (VIDEO_EXTS.has(ext)) kind = 'video';
    else if (AUDIO_EXTS.has(ext)) kind = 'audio';
    else if (IMAGE_EXTS.has(ext)) kind = 'image';
    else if (TEXT_EXTS.has(ext)) kind = 'text';
    else {
      out.ignore(
        file.path,
        'unknown-extension',
        `unknown extension '${ext ? '.' + ext : '(none)'}' (expected a video, audio, .jpg/.png frame or .txt/.csv list)`,
      );
      continue;
    }
    if (file.size === 0) {
      out.ignore(file.path, 'empty', 'empty file (0 bytes)');
      continue;
    }
    entries.push({ file, dirs, dir: dirs.join('/'), name, stem, ext, kind });
  }
  return entries;
}

/** The best-ranked candidate (lowest rank, then path order); the others are ignored as duplicates. */
export function pickFirst<F extends FileRef>(
  candidates: Entry<F>[],
  rank: (e: Entry<F>) => number,
  out: Collector,
  what: string,
): Entry<F> {
  const sorted = candidates.slice().sort((a, b) => rank(a) - rank(b) || naturalCompare(a.file.path, b.file.path));
  for (const e of sorted.slice(1)) out.ignore(e.file.path, 'duplicate', `another ${what} with the same name is used: ${sorted[0].file.path}`);
  return sorted[0];
}

export function ignoreAll<F extends FileRef>(entries: Entry<F>[], out: Collector, kind: IgnoreKind, reason: string): void {
  for (const e of entries) out.ignore(e.file.path, kind, reason);
}

/** Reads a text file as lines (BOM dropped; CRLF, LF or CR), with the path in the error when it fails. */
export async function readList(readText: ReadText, path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readText(path);
  } catch (err) {
    throw new DatasetLayoutError(`could not read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
}

/** `'a', 'b' and 3 more`: the first `max` names, quoted. */
export function listNames(names: string[], max = 10): string {
  const shown = names.slice(0, max).map((n) => `'${n}'`).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}
