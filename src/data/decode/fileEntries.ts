/**
 * Dropped folders as a flat list of files with their relative paths: from a drag and drop (the File System entries
 * API, walking directories) or from `<input type="file" webkitdirectory>`. Only reads; nothing is modified.
 *
 * The entry types are structural so the walk runs in Node tests against fakes; the browser's
 * FileSystemDirectoryEntry / FileSystemFileEntry satisfy them.
 */
import type { FileRef } from '../layouts';

/** A dropped file: what `planDataset` reads (path, size, lastModified) and the File to decode. */
export interface DroppedFile extends FileRef {
  file: File;
}

export interface FsEntryLike {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly name: string;
  /** '/'-prefixed path inside the drop, e.g. `/CREMA-D/VideoFlash/1001_DFA_ANG_XX.flv`. */
  readonly fullPath: string;
}

export interface FsFileEntryLike extends FsEntryLike {
  file(success: (file: File) => void, error?: (err: unknown) => void): void;
}

export interface FsDirectoryReaderLike {
  /** Returns the next batch (Chrome: at most 100); an empty batch means the directory is exhausted. */
  readEntries(success: (entries: FsEntryLike[]) => void, error?: (err: unknown) => void): void;
}

export interface FsDirectoryEntryLike extends FsEntryLike {
  createReader(): FsDirectoryReaderLike;
}

/** A file or folder that could not be read during the walk, with the reason. */
export interface UnreadableFile {
  path: string;
  reason: string;
}

export interface WalkResult {
  files: DroppedFile[];
  unreadable: UnreadableFile[];
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'name' in err) return String((err as { name: unknown }).name);
  return String(err);
}

function stripSlash(path: string): string {
  return path.replace(/^\/+/, '');
}

/**
 * The dropped items as entries. Call it synchronously inside the `drop` handler: the items are only valid during
 * the event. Items without the entries API (or plain strings) fall back to `dataTransfer.files` (no folders then).
 */
export function entriesFromDataTransfer(dt: DataTransfer): { entries: FsEntryLike[]; files: File[] } {
  const entries: FsEntryLike[] = [];
  const files: File[] = [];
  const items = dt.items ? Array.from(dt.items) : [];
  for (const item of items) {
    if (item.kind !== 'file') continue;
    const entry = typeof item.webkitGetAsEntry === 'function' ? (item.webkitGetAsEntry() as FsEntryLike | null) : null;
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) files.push(f);
    }
  }
  if (items.length === 0 && dt.files) files.push(...Array.from(dt.files));
  return { entries, files };
}

function readBatch(reader: FsDirectoryReaderLike): Promise<FsEntryLike[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

function entryFile(entry: FsFileEntryLike): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/**
 * Every file under the entries, depth first, directories in the order the browser lists them. `readEntries`
 * returns at most 100 entries per call, so each directory is read until it returns an empty batch.
 * `onCount` reports the number of files found so far (for a "reading folders..." line on big drops).
 */
export async function walkEntries(roots: readonly FsEntryLike[], onCount?: (files: number) => void): Promise<WalkResult> {
  const files: DroppedFile[] = [];
  const unreadable: UnreadableFile[] = [];
  const stack: FsEntryLike[] = [...roots].reverse();
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const path = stripSlash(entry.fullPath || entry.name);
    if (entry.isDirectory) {
      const reader = (entry as FsDirectoryEntryLike).createReader();
      const children: FsEntryLike[] = [];
      try {
        for (;;) {
          const batch = await readBatch(reader);
          if (batch.length === 0) break;
          children.push(...batch);
        }
      } catch (err) {
        unreadable.push({ path: `${path}/`, reason: `could not list the folder: ${errorText(err)}` });
      }
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    } else if (entry.isFile) {
      try {
        const file = await entryFile(entry as FsFileEntryLike);
        files.push({ path, size: file.size, lastModified: file.lastModified, file });
        if (onCount && files.length % 500 === 0) onCount(files.length);
      } catch (err) {
        unreadable.push({ path, reason: `could not read the file: ${errorText(err)}` });
      }
    }
  }
  onCount?.(files.length);
  return { files, unreadable };
}

/** Files picked with `<input webkitdirectory>` (their `webkitRelativePath` starts with the folder's name). */
export function filesFromFileList(list: ArrayLike<File>): DroppedFile[] {
  const out: DroppedFile[] = [];
  for (let i = 0; i < list.length; i++) {
    const file = list[i];
    const path = stripSlash(file.webkitRelativePath || file.name);
    out.push({ path, size: file.size, lastModified: file.lastModified, file });
  }
  return out;
}

/** Loose files dropped without the entries API: just their names. */
export function filesFromPlainFiles(files: readonly File[]): DroppedFile[] {
  return files.map((file) => ({ path: file.name, size: file.size, lastModified: file.lastModified, file }));
}

/**
 * Adds newly dropped files to those already collected (several folders may be added one after the other).
 * A path seen before is replaced by the new file (dropping a folder again refreshes it).
 */
export function mergeDropped(existing: readonly DroppedFile[], added: readonly DroppedFile[]): DroppedFile[] {
  const byPath = new Map(existing.map((f) => [f.path, f]));
  for (const f of added) byPath.set(f.path, f);
  return [...byPath.values()];
}

/**
 * Splits off files whose names cannot be matched to split lists or labels: names the operating system handed over
 * with undecodable bytes (U+FFFD) or control characters.
 */
export function screenNames(files: readonly DroppedFile[]): { usable: DroppedFile[]; unreadable: UnreadableFile[] } {
  const usable: DroppedFile[] = [];
  const unreadable: UnreadableFile[] = [];
  for (const f of files) {
    // eslint-disable-next-line no-control-regex
    if (/[\uFFFD\u0000-\u001F\u007F]/.test(f.path)) {
      unreadable.push({ path: f.path, reason: 'unreadable file name (undecodable or control characters); rename it' });
    } else {
      usable.push(f);
    }
  }
  return { usable, unreadable };
}
