/**
 * A dataset folder on disk as the files the page would get from dropping it: paths relative to the folder's parent
 * (`CREMA-D/VideoFlash/1001_DFA_ANG_XX.flv`, as `webkitRelativePath` gives them), size, modification time, and a
 * File that reads the bytes lazily from disk. Node only.
 */
import { openAsBlob } from 'node:fs';
import { access, constants, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { DroppedFile, UnreadableFile } from '../decode/fileEntries';
import { fsErrorText } from './fsErrors';

/** The disk path behind each File made here (the system ffmpeg reads the file itself). */
const diskPaths = new WeakMap<Blob, string>();

/** The file on disk a File of listFolder reads, if it is one. */
export function diskPathOf(file: Blob): string | undefined {
  return diskPaths.get(file);
}

/** A File over a file on disk (read when its bytes are asked for), remembered for diskPathOf. */
export async function diskFile(path: string, name = basename(path)): Promise<File> {
  const info = await stat(path);
  const file = new File([await openAsBlob(path)], name, { lastModified: Math.trunc(info.mtimeMs) });
  diskPaths.set(file, resolve(path));
  return file;
}

export interface FolderListing {
  files: DroppedFile[];
  unreadable: UnreadableFile[];
  /** The disk path of each listed path (for reading split lists). */
  diskPath: Map<string, string>;
}

const reasonOf = fsErrorText;

/**
 * Every file under `dir` (following symbolic links, each folder entered once), as `basename(dir)/relative/path`, in
 * name order. Folders whose disk path is in `skip` (the decode cache) are not entered. Files or folders that cannot be read are listed in
 * `unreadable` with the reason, as the page does.
 */
export async function listFolder(dir: string, skip: readonly string[] = []): Promise<FolderListing> {
  const root = resolve(dir);
  const skipped = new Set(skip.map((p) => resolve(p)));
  const files: DroppedFile[] = [];
  const unreadable: UnreadableFile[] = [];
  const diskPath = new Map<string, string>();
  const entered = new Set<string>();
  const walk = async (abs: string, rel: string): Promise<void> => {
    let names: string[];
    try {
      const real = await realpath(abs);
      if (entered.has(real)) return;
      entered.add(real);
      names = (await readdir(abs)).sort();
    } catch (err) {
      unreadable.push({ path: `${rel}/`, reason: `could not list the folder: ${reasonOf(err)}` });
      return;
    }
    for (const name of names) {
      const childAbs = join(abs, name);
      const childRel = `${rel}/${name}`;
      if (skipped.has(childAbs)) continue;
      let info;
      try {
        info = await stat(childAbs);
      } catch (err) {
        unreadable.push({ path: childRel, reason: `could not read the file: ${reasonOf(err)}` });
        continue;
      }
      if (info.isDirectory()) {
        await walk(childAbs, childRel);
        continue;
      }
      if (!info.isFile()) continue;
      try {
        await access(childAbs, constants.R_OK);
        const file = await diskFile(childAbs, name);
        files.push({ path: childRel, size: file.size, lastModified: file.lastModified, file });
        diskPath.set(childRel, childAbs);
      } catch (err) {
        unreadable.push({ path: childRel, reason: `could not read the file: ${reasonOf(err)}` });
      }
    }
  };
  await walk(root, basename(root));
  return { files, unreadable, diskPath };
}

/** Reads a listed text file (a split list) by its listed path. */
export function listedTextReader(listing: FolderListing): (path: string) => Promise<string> {
  return async (path) => {
    const abs = listing.diskPath.get(path);
    if (!abs) throw new Error(`not among the folder's files: ${path}`);
    return readFile(abs, 'utf8');
  };
}
