/**
 * What the class-folder and frame-folder layouts share: a clip's class and split from the folders containing it
 * (`[train|test/]CLASS/clip`), and the class list and labels from the clips found.
 */
import { type Collector } from './entries';
import { naturalCompare } from './paths';
import type { FileRef, IgnoreKind, LayoutResult, RawClip, SplitName } from './types';
import { AUDIO_RGB } from '../../core/modalities';

const TRAIN_DIRS = new Set(['train', 'training']);
const TEST_DIRS = new Set(['test', 'testing']);
const VAL_DIRS = new Set(['val', 'valid', 'validation']);

/** A clip found in a class folder, before the labels are known. */
export interface FolderClip<F extends FileRef> {
  clip: Omit<RawClip<F>, 'label'>;
  className: string;
  split?: SplitName;
  /** The clip's files (or folder), to ignore it with. */
  paths: string[];
}

/**
 * Class and split of a clip from the folders containing it: the last train/test(/val) folder's child is the
 * class; without one, the innermost folder is.
 */
export function classAndSplit(containerDirs: string[]):
  | { ok: true; className: string; split?: SplitName }
  | { ok: false; kind: IgnoreKind; reason: string } {
  let s = -1;
  for (let i = containerDirs.length - 1; i >= 0; i--) {
    const d = containerDirs[i].toLowerCase();
    if (TRAIN_DIRS.has(d) || TEST_DIRS.has(d) || VAL_DIRS.has(d)) {
      s = i;
      break;
    }
  }
  if (s < 0) {
    if (containerDirs.length === 0) return { ok: false, kind: 'no-class-folder', reason: 'not inside a class folder (expected CLASS/clip)' };
    return { ok: true, className: containerDirs[containerDirs.length - 1] };
  }
  const splitDir = containerDirs[s].toLowerCase();
  if (VAL_DIRS.has(splitDir)) {
    return { ok: false, kind: 'unused-split-folder', reason: `validation folder '${containerDirs[s]}/' is not used (train/ and test/ are)` };
  }
  if (s === containerDirs.length - 1) {
    return { ok: false, kind: 'no-class-folder', reason: `directly under '${containerDirs[s]}/' (expected ${containerDirs[s]}/CLASS/clip)` };
  }
  return { ok: true, className: containerDirs[s + 1], split: TRAIN_DIRS.has(splitDir) ? 'train' : 'test' };
}

/**
 * Labels the clips by class name (natural order). When some clips are under train/ or test/, the others are
 * ignored; the split source is then 'folders', else null (seeded).
 */
export function finishFolderClips<F extends FileRef>(found: FolderClip<F>[], out: Collector): LayoutResult<F> {
  const anySplit = found.some((f) => f.split !== undefined);
  const kept = found.filter((f) => {
    if (!anySplit || f.split) return true;
    for (const p of f.paths) out.ignore(p, 'not-in-split', 'not under a train/ or test/ folder while other clips are');
    return false;
  });
  const classNames = [...new Set(kept.map((f) => f.className))].sort(naturalCompare);
  const index = new Map(classNames.map((n, i) => [n, i]));
  const clips = kept.map((f) => ({ ...f.clip, label: index.get(f.className)!, ...(f.split ? { split: f.split } : {}) }));
  if (classNames.length === 1) out.warnings.push(`only one class found ('${classNames[0]}'): is each class in its own folder?`);
  return { classNames, clips, splitSource: anySplit ? 'folders' : null, pairs: [AUDIO_RGB] };
}
