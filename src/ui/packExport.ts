/**
 * "Export dataset": a decoded dataset written as a dataset pack (README "Dataset packs"; `src/data/pack.ts`), for
 * `bmm-lab train --data` and `python -m bmm_lab.train --data`. Shards of at most 1 GB go one at a time, then
 * pack.json, either into a folder the user picks (the File System Access API, where the browser has it) or as
 * one download per file (put them in one folder).
 */
import type { Dataset } from '../core/dataset';
import { packFiles, type PackWriteOptions } from '../data/pack';

/** Where the files go. */
export interface PackTarget {
  /** How the files are saved, for the message ("to folder x", "as downloads"). */
  describe: string;
  write(name: string, bytes: Uint8Array): Promise<void>;
}

interface WritableLike {
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}
interface DirectoryHandleLike {
  name: string;
  getFileHandle(name: string, options: { create: boolean }): Promise<{ createWritable(): Promise<WritableLike> }>;
}
type DirectoryPicker = (options: { mode: 'readwrite'; id?: string }) => Promise<DirectoryHandleLike>;

/** A folder chosen by the user, when the browser can (null: no File System Access API here). */
export async function pickFolderTarget(scope: { showDirectoryPicker?: DirectoryPicker } = globalThis as never): Promise<PackTarget | null> {
  if (typeof scope.showDirectoryPicker !== 'function') return null;
  const dir = await scope.showDirectoryPicker({ mode: 'readwrite', id: 'bmm-lab-pack' });
  return {
    describe: `to the folder "${dir.name}"`,
    async write(name, bytes) {
      const handle = await dir.getFileHandle(name, { create: true });
      const out = await handle.createWritable();
      try {
        await out.write(bytes);
      } finally {
        await out.close();
      }
    },
  };
}

/** One download per file. */
export function downloadTarget(download: (filename: string, data: Blob) => void): PackTarget {
  return {
    describe: 'as downloads (move pack.json and the part-*.safetensors files into one folder)',
    async write(name, bytes) {
      download(name, new Blob([bytes as BlobPart], { type: name.endsWith('.json') ? 'application/json' : 'application/octet-stream' }));
    },
  };
}

/** Writes the pack's files to `target`, shards first and pack.json last; returns the number of files. */
export async function exportPack(dataset: Dataset, options: PackWriteOptions, target: PackTarget, onFile?: (name: string, index: number) => void): Promise<number> {
  let n = 0;
  for (const file of packFiles(dataset, options)) {
    await target.write(file.name, file.bytes);
    onFile?.(file.name, n);
    n++;
  }
  return n;
}
