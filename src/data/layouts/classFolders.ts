/**
 * The class-folder layout (Kinetics-Sounds style): `CLASS/clip.ext`, optionally `train/CLASS/...` and
 * `test/CLASS/...` at any depth; a same-stem audio file next to a video is its audio.
 */
import { type Collector, type Entry } from './entries';
import { classAndSplit, finishFolderClips, type FolderClip } from './folderClips';
import { normalisePath } from './paths';
import type { FileRef, LayoutResult } from './types';

/** Plans a class-folder drop: one clip per video, labelled by its class folder. */
export function planClassFolders<F extends FileRef>(entries: Entry<F>[], out: Collector): LayoutResult<F> {
  const audioByKey = new Map<string, Entry<F>>();
  for (const e of entries) if (e.kind === 'audio') audioByKey.set(`${e.dir}/${e.stem}`.toLowerCase(), e);
  const usedAudio = new Set<Entry<F>>();
  const found: FolderClip<F>[] = [];
  for (const e of entries) {
    if (e.kind === 'text' || e.kind === 'image') {
      out.ignore(e.file.path, 'unused-file', `${e.kind} files are not part of the class-folder layout`);
      continue;
    }
    if (e.kind !== 'video') continue;
    const where = classAndSplit(e.dirs);
    if (!where.ok) {
      out.ignore(e.file.path, where.kind, where.reason);
      continue;
    }
    const audio = audioByKey.get(`${e.dir}/${e.stem}`.toLowerCase());
    if (audio) usedAudio.add(audio);
    found.push({
      clip: { id: normalisePath(e.file.path), video: e.file, ...(audio ? { audio: audio.file } : {}) },
      className: where.className,
      split: where.split,
      paths: audio ? [e.file.path, audio.file.path] : [e.file.path],
    });
  }
  for (const e of entries) {
    if (e.kind === 'audio' && !usedAudio.has(e)) out.ignore(e.file.path, 'no-video', `no video named ${e.stem}.* in the same folder`);
  }
  return finishFolderClips(found, out);
}
