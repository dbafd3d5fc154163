/**
 * The frame-folder layout: `CLASS/clipA/*.jpg|png` plus `CLASS/clipA.wav` (or `clipA.wav` inside the folder),
 * optionally under `train/` and `test/`.
 */
import { type Collector, type Entry, ignoreAll } from './entries';
import { classAndSplit, finishFolderClips, type FolderClip } from './folderClips';
import { naturalCompare } from './paths';
import type { FileRef, LayoutResult } from './types';

/** Plans a frame-folder drop: one clip per folder of frames that has its audio file. */
export function planFrameFolders<F extends FileRef>(entries: Entry<F>[], out: Collector): LayoutResult<F> {
  const folders = new Map<string, Entry<F>[]>();
  const audioByKey = new Map<string, Entry<F>>();
  for (const e of entries) {
    if (e.kind === 'image') {
      let list = folders.get(e.dir);
      if (!list) folders.set(e.dir, (list = []));
      list.push(e);
    } else if (e.kind === 'audio') {
      audioByKey.set(`${e.dir}/${e.stem}`.toLowerCase(), e);
    } else {
      out.ignore(e.file.path, 'unused-file', `${e.kind} files are not part of the frame-folder layout`);
    }
  }
  const usedAudio = new Set<Entry<F>>();
  const found: FolderClip<F>[] = [];
  for (const [dir, images] of folders) {
    if (!dir) {
      ignoreAll(images, out, 'no-class-folder', 'frames must be in a folder per clip (CLASS/clip/frame0001.jpg)');
      continue;
    }
    const dirs = images[0].dirs;
    const clipName = dirs[dirs.length - 1];
    const folderPath = dir + '/';
    const where = classAndSplit(dirs.slice(0, -1));
    if (!where.ok) {
      out.ignore(folderPath, where.kind, where.reason);
      continue;
    }
    const parent = dirs.slice(0, -1).join('/');
    const audio = audioByKey.get(`${parent}/${clipName}`.toLowerCase()) ?? audioByKey.get(`${dir}/${clipName}`.toLowerCase());
    if (!audio) {
      out.ignore(folderPath, 'no-audio', `no audio file ${clipName}.wav next to or inside the frame folder`);
      continue;
    }
    usedAudio.add(audio);
    const frames = images.slice().sort((a, b) => naturalCompare(a.name, b.name));
    found.push({
      clip: { id: dir, audio: audio.file, frames: frames.map((f) => f.file) },
      className: where.className,
      split: where.split,
      paths: [folderPath, audio.file.path],
    });
  }
  for (const e of audioByKey.values()) {
    if (!usedAudio.has(e)) out.ignore(e.file.path, 'no-video', `no frame folder named ${e.stem}/ next to it`);
  }
  return finishFolderClips(found, out);
}
