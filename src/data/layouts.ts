/**
 * Dataset discovery from a list of dropped files (METHOD.md section 6): which layout the files follow, the class
 * names, every clip with its files, label and split, and every file left out with the reason. Pure functions over
 * paths (as `webkitRelativePath`, '/'-separated, possibly starting with the dropped folder's name; several dropped
 * folders at once are fine); small text files (split lists) are read through a callback. Nothing is decoded here.
 *
 * Layouts:
 * - 'crema-d': `ActorID_Sentence_EMOTION_Level.ext` anywhere (`VideoFlash/`, `AudioWAV/` ...), label from the
 *   EMOTION field (NEU 0, HAP 1, SAD 2, FEA 3, DIS 4, ANG 5); audio from a same-stem audio file (preferring one in
 *   `AudioWAV/`), else the clip's own track; split from `train.csv` / `test.csv` (`clipname,LABEL`).
 * - 'class-folders': `CLASS/clip.ext`, optionally `train/CLASS/...` and `test/CLASS/...` at any depth.
 * - 'ucf-101': `classInd.txt`, `trainlist01.txt`, `testlist01.txt`; `.avi` videos found by file name; optional
 *   precomputed flow `u/v_X/frame000001.jpg` and `v/v_X/...` (then the modalities are RGB and flow).
 * - 'frame-folders': `CLASS/clipA/*.jpg|png` plus `CLASS/clipA.wav` (or `clipA.wav` inside the folder).
 * Without split information the split is seeded and stratified (see stratifiedSplit).
 */
import { Rng } from '../core/random';

/** A dropped file as the UI sees it; the plan hands back the caller's own objects (F). */
export interface FileRef {
  /** Relative, '/'-separated path, e.g. `CREMA-D/VideoFlash/1001_DFA_ANG_XX.flv`. */
  path: string;
  size: number;
  lastModified: number;
}

export type DatasetLayout = 'crema-d' | 'class-folders' | 'ucf-101' | 'frame-folders';
export type SplitName = 'train' | 'test';
/** 'files': split lists; 'folders': train/ and test/ folders; 'seeded': stratifiedSplit. */
export type SplitSource = 'files' | 'folders' | 'seeded';

export interface PlannedClip<F extends FileRef = FileRef> {
  /** Unique within the plan: the CREMA-D / UCF stem, the video path (class folders), the folder path (frames). */
  id: string;
  label: number;
  split: SplitName;
  /** The clip's video (absent for frame folders). */
  video?: F;
  /** A separate audio file; absent = use the video's own audio track. */
  audio?: F;
  /** Frame images in natural order (frame folders). */
  frames?: F[];
  /** Precomputed optical flow frames in frame-number order (UCF-101). */
  flowU?: F[];
  flowV?: F[];
}

export type IgnoreKind =
  | 'hidden'
  | 'empty'
  | 'unknown-extension'
  | 'unparsable-name'
  | 'unknown-label'
  | 'not-in-split'
  | 'duplicate'
  | 'no-video'
  | 'no-audio'
  | 'no-flow'
  | 'no-class-folder'
  | 'unused-file'
  | 'unused-split-folder';

export interface IgnoredFile {
  /** The file's path as given, or a folder path ending in '/' for a whole frame or flow folder. */
  path: string;
  reason: string;
  kind: IgnoreKind;
}

export interface DatasetPlan<F extends FileRef = FileRef> {
  layout: DatasetLayout;
  classNames: string[];
  /** Sorted by id (natural order). */
  clips: PlannedClip<F>[];
  ignored: IgnoredFile[];
  /** Problems that do not drop a dropped file: split lines naming missing clips, label disagreements, ... */
  warnings: string[];
  splitSource: SplitSource;
  /** 'rgb': audio + RGB frames; 'flow': RGB frames (the video) + optical flow (UCF-101 with u/ and v/). */
  secondModality: 'rgb' | 'flow';
}

export interface PlanOptions {
  /** Seed of the stratified split used when the files carry no split (default 0). */
  seed?: number;
  /** Test fraction of that split (default 0.1). */
  testFraction?: number;
  /** Force a layout instead of detecting it. */
  layout?: DatasetLayout;
  /** UCF-101 split lists to use: trainlist0N.txt / testlist0N.txt (default 1). */
  ucfSplit?: 1 | 2 | 3;
}

/** Reads a (small) dropped text file by its FileRef path. */
export type ReadText = (path: string) => Promise<string>;

/** The files cannot be read as any supported dataset layout; the message says what was found. */
export class DatasetLayoutError extends Error {
  override name = 'DatasetLayoutError';
}

/** CREMA-D emotion codes in label order. */
export const CREMA_D_EMOTIONS = ['NEU', 'HAP', 'SAD', 'FEA', 'DIS', 'ANG'] as const;
export const CREMA_D_CLASS_NAMES = ['neutral', 'happy', 'sad', 'fear', 'disgust', 'anger'];

const VIDEO_EXTS = new Set(['mp4', 'm4v', 'mov', 'webm', 'mkv', 'flv', 'avi', 'mpg', 'mpeg', 'ogv', '3gp', 'wmv']);
const AUDIO_EXTS = new Set(['wav', 'mp3', 'm4a', 'aac', 'ogg', 'oga', 'opus', 'flac']);
const IMAGE_EXTS = new Set(['jpg', 'jpeg', 'png']);
const TEXT_EXTS = new Set(['txt', 'csv']);
const JUNK_NAMES = new Set(['thumbs.db', 'desktop.ini', '__macosx']);
const TRAIN_DIRS = new Set(['train', 'training']);
const TEST_DIRS = new Set(['test', 'testing']);
const VAL_DIRS = new Set(['val', 'valid', 'validation']);

type FileKind = 'video' | 'audio' | 'image' | 'text';

interface Entry<F extends FileRef> {
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

/** Unsplit clip as a layout planner produces it. */
type RawClip<F extends FileRef> = Omit<PlannedClip<F>, 'split'> & { split?: SplitName };

interface LayoutResult<F extends FileRef> {
  classNames: string[];
  clips: RawClip<F>[];
  splitSource: SplitSource | null;
  secondModality: 'rgb' | 'flow';
}

class Collector {
  readonly ignored: IgnoredFile[] = [];
  readonly warnings: string[] = [];

  ignore(path: string, kind: IgnoreKind, reason: string): void {
    this.ignored.push({ path, kind, reason });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Entry point

/** Works out the layout, classes, clips and split of a dropped dataset. Throws DatasetLayoutError if none fits. */
export async function planDataset<F extends FileRef>(
  files: readonly F[],
  readText: ReadText,
  opts: PlanOptions = {},
): Promise<DatasetPlan<F>> {
  const out = new Collector();
  const entries = toEntries(files, out);
  const layout = opts.layout ?? detectFromEntries(entries);
  if (!layout) throw new DatasetLayoutError(describeUnrecognised(files.length, entries));

  let result: LayoutResult<F>;
  switch (layout) {
    case 'crema-d':
      result = await planCremaD(entries, readText, out);
      break;
    case 'class-folders':
      result = planClassFolders(entries, out);
      break;
    case 'ucf-101':
      result = await planUcf101(entries, readText, out, opts.ucfSplit ?? 1);
      break;
    case 'frame-folders':
      result = planFrameFolders(entries, out);
      break;
  }

  const clips = result.clips.slice().sort((a, b) => naturalCompare(a.id, b.id));
  let splitSource = result.splitSource;
  if (splitSource === null) {
    const testFraction = opts.testFraction ?? 0.1;
    const seed = opts.seed ?? 0;
    const splits = stratifiedSplit(
      clips.map((c) => c.label),
      testFraction,
      seed,
    );
    clips.forEach((c, i) => (c.split = splits[i]));
    splitSource = 'seeded';
  }
  const planned = clips as PlannedClip<F>[];
  const counts = result.classNames.map(() => ({ train: 0, test: 0 }));
  for (const c of planned) counts[c.label][c.split]++;
  result.classNames.forEach((name, label) => {
    const { train, test } = counts[label];
    if (train === 0 && test === 0) out.warnings.push(`class '${name}' has no clips`);
    else if (train === 0) out.warnings.push(`class '${name}' has no training clips`);
    else if (test === 0) out.warnings.push(`class '${name}' has no test clips`);
  });
  if (planned.length === 0) out.warnings.push(`no usable clips found for the ${layout} layout`);
  return {
    layout,
    classNames: result.classNames,
    clips: planned,
    ignored: out.ignored,
    warnings: out.warnings,
    splitSource,
    secondModality: result.secondModality,
  };
}

/** The layout the files look like, or null. */
export function detectLayout(files: readonly FileRef[]): DatasetLayout | null {
  return detectFromEntries(toEntries(files, new Collector()));
}

function detectFromEntries<F extends FileRef>(entries: Entry<F>[]): DatasetLayout | null {
  if (entries.some((e) => e.kind === 'text' && e.name.toLowerCase() === 'classind.txt')) return 'ucf-101';
  const media = entries.filter((e) => e.kind === 'video' || e.kind === 'audio');
  const cremaNamed = media.filter((e) => parseCremaDName(e.stem) !== null).length;
  const hasCremaCsv = entries.some((e) => ['train.csv', 'test.csv'].includes(e.name.toLowerCase()));
  if (cremaNamed > 0 && (2 * cremaNamed >= media.length || hasCremaCsv)) return 'crema-d';
  const imageDirs = new Set(entries.filter((e) => e.kind === 'image').map((e) => e.dir));
  const videos = entries.filter((e) => e.kind === 'video').length;
  if (imageDirs.size > 0 && imageDirs.size > videos) return 'frame-folders';
  if (videos > 0) return 'class-folders';
  return null;
}

function describeUnrecognised<F extends FileRef>(total: number, entries: Entry<F>[]): string {
  const count = (k: FileKind) => entries.filter((e) => e.kind === k).length;
  return (
    `No dataset layout recognised among ${total} files (${count('video')} videos, ${count('audio')} audio, ` +
    `${count('image')} images, ${count('text')} text files). Expected CREMA-D (ActorID_Sentence_EMOTION_Level.flv ` +
    `with train.csv/test.csv), class folders (CLASS/clip.mp4), UCF-101 (classInd.txt, trainlist01.txt, ` +
    `testlist01.txt) or frame folders (CLASS/clip/*.jpg with clip.wav).`
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Paths

function normalisePath(p: string): string {
  return p
    .replace(/\\/g, '/')
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

function splitExt(name: string): { stem: string; ext: string } {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return { stem: name, ext: '' };
  return { stem: name.slice(0, dot), ext: name.slice(dot + 1).toLowerCase() };
}

/** Classifies the files; hidden, empty and unknown ones go to `ignored`. */
function toEntries<F extends FileRef>(files: readonly F[], out: Collector): Entry<F>[] {
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

/**
 * Class and split of a clip from the folders containing it: the last train/test(/val) folder's child is the
 * class; without one, the innermost folder is.
 */
function classAndSplit(containerDirs: string[]):
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

/** Read a text file, with the path in the error when it fails. */
async function readList(readText: ReadText, path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readText(path);
  } catch (err) {
    throw new DatasetLayoutError(`could not read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
}

function listNames(names: string[], max = 10): string {
  const shown = names.slice(0, max).map((n) => `'${n}'`).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

function pickFirst<F extends FileRef>(
  candidates: Entry<F>[],
  rank: (e: Entry<F>) => number,
  out: Collector,
  what: string,
): Entry<F> {
  const sorted = candidates.slice().sort((a, b) => rank(a) - rank(b) || naturalCompare(a.file.path, b.file.path));
  for (const e of sorted.slice(1)) out.ignore(e.file.path, 'duplicate', `another ${what} with the same name is used: ${sorted[0].file.path}`);
  return sorted[0];
}

function ignoreAll<F extends FileRef>(entries: Entry<F>[], out: Collector, kind: IgnoreKind, reason: string): void {
  for (const e of entries) out.ignore(e.file.path, kind, reason);
}

// ---------------------------------------------------------------------------------------------------------------
// CREMA-D

export interface CremaDName {
  actor: string;
  sentence: string;
  /** Upper case; may be outside CREMA_D_EMOTIONS (check with the label). */
  emotion: string;
  level: string;
  /** Index in CREMA_D_EMOTIONS, -1 for an unknown code. */
  label: number;
}

/** Parses `1001_DFA_ANG_XX` (a stem, without extension); null if it does not have the four fields. */
export function parseCremaDName(stem: string): CremaDName | null {
  const m = /^(\d+)_([A-Za-z]+)_([A-Za-z]+)_([A-Za-z0-9]+)$/.exec(stem);
  if (!m) return null;
  const emotion = m[3].toUpperCase();
  return {
    actor: m[1],
    sentence: m[2].toUpperCase(),
    emotion,
    level: m[4].toUpperCase(),
    label: (CREMA_D_EMOTIONS as readonly string[]).indexOf(emotion),
  };
}

function knownMediaExt(ext: string): boolean {
  return VIDEO_EXTS.has(ext) || AUDIO_EXTS.has(ext);
}

async function planCremaD<F extends FileRef>(
  entries: Entry<F>[],
  readText: ReadText,
  out: Collector,
): Promise<LayoutResult<F>> {
  const byStem = new Map<string, { stem: string; label: number; videos: Entry<F>[]; audios: Entry<F>[] }>();
  const splitFiles: Partial<Record<SplitName, Entry<F>>> = {};
  for (const e of entries) {
    if (e.kind === 'text') {
      const lower = e.name.toLowerCase();
      const split: SplitName | null = lower === 'train.csv' ? 'train' : lower === 'test.csv' ? 'test' : null;
      if (!split) out.ignore(e.file.path, 'unused-file', 'not a CREMA-D split file (train.csv / test.csv)');
      else if (splitFiles[split]) out.ignore(e.file.path, 'duplicate', `another ${lower} is used: ${splitFiles[split].file.path}`);
      else splitFiles[split] = e;
      continue;
    }
    if (e.kind === 'image') {
      out.ignore(e.file.path, 'unused-file', 'image files are not part of the CREMA-D layout');
      continue;
    }
    const parsed = parseCremaDName(e.stem);
    if (!parsed) {
      out.ignore(e.file.path, 'unparsable-name', `name does not follow CREMA-D's ActorID_Sentence_EMOTION_Level (e.g. 1001_DFA_ANG_XX)`);
      continue;
    }
    if (parsed.label < 0) {
      out.ignore(e.file.path, 'unknown-label', `unknown emotion code '${parsed.emotion}' (expected ${CREMA_D_EMOTIONS.join(', ')})`);
      continue;
    }
    const key = e.stem.toUpperCase();
    let group = byStem.get(key);
    if (!group) byStem.set(key, (group = { stem: e.stem, label: parsed.label, videos: [], audios: [] }));
    (e.kind === 'video' ? group.videos : group.audios).push(e);
  }

  const clips = new Map<string, RawClip<F>>();
  for (const [key, g] of byStem) {
    if (g.videos.length === 0) {
      ignoreAll(g.audios, out, 'no-video', `no video named ${g.stem}.* (CREMA-D needs the video for the visual modality)`);
      continue;
    }
    const extRank = (e: Entry<F>) => (e.ext === 'flv' ? 0 : 1);
    const video = pickFirst(g.videos, extRank, out, 'video');
    const audioRank = (e: Entry<F>) => (e.dirs.some((d) => d.toLowerCase() === 'audiowav') ? 0 : 2) + (e.ext === 'wav' ? 0 : 1);
    const audio = g.audios.length > 0 ? pickFirst(g.audios, audioRank, out, 'audio file') : undefined;
    clips.set(key, { id: g.stem, label: g.label, video: video.file, ...(audio ? { audio: audio.file } : {}) });
  }

  const assigned = new Map<string, SplitName>();
  for (const split of ['train', 'test'] as const) {
    const f = splitFiles[split];
    if (!f) continue;
    const lines = await readList(readText, f.file.path);
    const missing: string[] = [];
    lines.forEach((raw, i) => {
      const line = raw.trim();
      if (!line) return;
      const fields = line.split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1'));
      let name = fields[0].split(/[\\/]/).pop() ?? '';
      const { stem, ext } = splitExt(name);
      if (knownMediaExt(ext)) name = stem;
      const parsed = parseCremaDName(name);
      if (!parsed) {
        // A header line ("clip,label") is tolerated silently.
        if (i > 0 || fields.length < 2) out.warnings.push(`${f.name} line ${i + 1}: '${fields[0]}' is not a CREMA-D clip name`);
        return;
      }
      const key = name.toUpperCase();
      const code = (fields[1] ?? '').toUpperCase();
      const listed = /^\d+$/.test(code) ? Number(code) : (CREMA_D_EMOTIONS as readonly string[]).indexOf(code);
      if (code && listed !== parsed.label) {
        out.warnings.push(`${f.name} line ${i + 1}: label '${fields[1]}' disagrees with the name ${name}; using ${parsed.emotion}`);
      }
      const previous = assigned.get(key);
      if (previous) {
        if (previous !== split) out.warnings.push(`${name} is listed in both train.csv and test.csv; kept in ${previous}`);
        return;
      }
      if (!clips.has(key)) {
        missing.push(name);
        return;
      }
      assigned.set(key, split);
    });
    if (missing.length > 0) {
      out.warnings.push(`${f.name}: ${missing.length} listed clips not found among the dropped files: ${listNames(missing)}`);
    }
  }

  const haveTrain = splitFiles.train !== undefined;
  const haveTest = splitFiles.test !== undefined;
  const result: RawClip<F>[] = [];
  if (!haveTrain && !haveTest) {
    result.push(...clips.values());
  } else {
    const rest: SplitName | null = haveTrain && haveTest ? null : haveTrain ? 'test' : 'train';
    let unlisted = 0;
    for (const [key, clip] of clips) {
      const split = assigned.get(key) ?? rest;
      if (split) {
        if (!assigned.has(key)) unlisted++;
        result.push({ ...clip, split });
        continue;
      }
      out.ignore(clip.video!.path, 'not-in-split', 'not listed in train.csv or test.csv');
      if (clip.audio) out.ignore(clip.audio.path, 'not-in-split', 'not listed in train.csv or test.csv');
    }
    if (rest && unlisted > 0) {
      out.warnings.push(`only ${haveTrain ? 'train.csv' : 'test.csv'} found: ${unlisted} clips not listed in it are used as ${rest}`);
    }
  }
  return {
    classNames: [...CREMA_D_CLASS_NAMES],
    clips: result,
    splitSource: haveTrain || haveTest ? 'files' : null,
    secondModality: 'rgb',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Class folders and frame folders

function finishFolderClips<F extends FileRef>(
  found: Array<{ clip: Omit<RawClip<F>, 'label'>; className: string; split?: SplitName; paths: string[] }>,
  out: Collector,
): LayoutResult<F> {
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
  return { classNames, clips, splitSource: anySplit ? 'folders' : null, secondModality: 'rgb' };
}

function planClassFolders<F extends FileRef>(entries: Entry<F>[], out: Collector): LayoutResult<F> {
  const audioByKey = new Map<string, Entry<F>>();
  for (const e of entries) if (e.kind === 'audio') audioByKey.set(`${e.dir}/${e.stem}`.toLowerCase(), e);
  const usedAudio = new Set<Entry<F>>();
  const found: Parameters<typeof finishFolderClips<F>>[0] = [];
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

function planFrameFolders<F extends FileRef>(entries: Entry<F>[], out: Collector): LayoutResult<F> {
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
  const found: Parameters<typeof finishFolderClips<F>>[0] = [];
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

// ---------------------------------------------------------------------------------------------------------------
// UCF-101

async function planUcf101<F extends FileRef>(
  entries: Entry<F>[],
  readText: ReadText,
  out: Collector,
  splitNo: 1 | 2 | 3,
): Promise<LayoutResult<F>> {
  const listName = { train: `trainlist0${splitNo}.txt`, test: `testlist0${splitNo}.txt` };
  let classInd: Entry<F> | undefined;
  const lists: Partial<Record<SplitName, Entry<F>>> = {};
  const videos = new Map<string, Entry<F>>();
  const flow = { u: new Map<string, Entry<F>[]>(), v: new Map<string, Entry<F>[]>() };
  for (const e of entries) {
    const lower = e.name.toLowerCase();
    if (e.kind === 'text') {
      if (lower === 'classind.txt') {
        if (classInd) out.ignore(e.file.path, 'duplicate', `another classInd.txt is used: ${classInd.file.path}`);
        else classInd = e;
      } else if (lower === listName.train || lower === listName.test) {
        const split: SplitName = lower === listName.train ? 'train' : 'test';
        const previous = lists[split];
        if (previous) out.ignore(e.file.path, 'duplicate', `another ${e.name} is used: ${previous.file.path}`);
        else lists[split] = e;
      } else {
        out.ignore(e.file.path, 'unused-file', `not used (split ${splitNo} uses ${listName.train} and ${listName.test})`);
      }
    } else if (e.kind === 'video') {
      const key = e.stem.toLowerCase();
      const previous = videos.get(key);
      if (previous) out.ignore(e.file.path, 'duplicate', `another video with the same name is used: ${previous.file.path}`);
      else videos.set(key, e);
    } else if (e.kind === 'image' && e.dirs.length >= 2 && ['u', 'v'].includes(e.dirs[e.dirs.length - 2].toLowerCase())) {
      const m = flow[e.dirs[e.dirs.length - 2].toLowerCase() as 'u' | 'v'];
      const key = e.dirs[e.dirs.length - 1].toLowerCase();
      let list = m.get(key);
      if (!list) m.set(key, (list = []));
      list.push(e);
    } else {
      const why = e.kind === 'image' ? 'not a flow frame (expected u/v_X/frame000001.jpg or v/v_X/...)' : 'audio files are not part of UCF-101';
      out.ignore(e.file.path, 'unused-file', why);
    }
  }
  if (!classInd) throw new DatasetLayoutError('UCF-101 layout needs classInd.txt ("1 ApplyEyeMakeup" per line)');

  // classInd.txt: "index name", 1-based.
  const classNames: string[] = [];
  (await readList(readText, classInd.file.path)).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const m = /^(\d+)\s+(\S+)$/.exec(line);
    if (!m || Number(m[1]) < 1) {
      out.warnings.push(`${classInd!.name} line ${i + 1}: expected "index ClassName", got '${line}'`);
      return;
    }
    classNames[Number(m[1]) - 1] = m[2];
  });
  for (let i = 0; i < classNames.length; i++) {
    if (classNames[i] === undefined) {
      throw new DatasetLayoutError(`${classInd.file.path}: class index ${i + 1} is missing (indices must run 1..${classNames.length})`);
    }
  }
  if (classNames.length === 0) throw new DatasetLayoutError(`${classInd.file.path}: no classes found`);
  const classIndex = new Map(classNames.map((n, i) => [n.toLowerCase(), i]));
  /** Label from a class folder or the v_CLASS_gXX_cYY name; -1 if neither is a known class. */
  const labelOf = (folder: string | undefined, stem: string): number => {
    const byFolder = folder !== undefined ? classIndex.get(folder.toLowerCase()) : undefined;
    if (byFolder !== undefined) return byFolder;
    const m = /^v_(.+)_g\d+_c\d+$/i.exec(stem);
    return (m && classIndex.get(m[1].toLowerCase())) ?? -1;
  };

  const hasFlow = flow.u.size > 0 || flow.v.size > 0;
  const clips = new Map<string, RawClip<F>>();
  for (const [key, e] of videos) {
    const label = labelOf(e.dirs[e.dirs.length - 1], e.stem);
    if (label < 0) {
      out.ignore(e.file.path, 'unknown-label', `class not found in classInd.txt (from the folder '${e.dirs[e.dirs.length - 1] ?? ''}' or the name)`);
      continue;
    }
    const clip: RawClip<F> = { id: e.stem, label, video: e.file };
    if (hasFlow) {
      const u = flow.u.get(key);
      const v = flow.v.get(key);
      if (!u || !v) {
        out.ignore(e.file.path, 'no-flow', `no flow frames ${!u ? 'u' : 'v'}/${e.stem}/ (other clips have flow)`);
        continue;
      }
      const byName = (a: Entry<F>, b: Entry<F>) => naturalCompare(a.name, b.name);
      clip.flowU = u.slice().sort(byName).map((f) => f.file);
      clip.flowV = v.slice().sort(byName).map((f) => f.file);
      if (u.length !== v.length) out.warnings.push(`${e.stem}: ${u.length} u flow frames but ${v.length} v flow frames`);
    }
    clips.set(key, clip);
  }
  for (const [component, m] of Object.entries(flow)) {
    for (const [key, frames] of m) {
      if (!videos.has(key)) {
        out.ignore(`${frames[0].dir}/`, 'no-video', `flow frames in ${component}/${frames[0].dirs[frames[0].dirs.length - 1]}/ without a video of that name`);
      }
    }
  }

  const assigned = new Map<string, SplitName>();
  for (const split of ['train', 'test'] as const) {
    const f = lists[split];
    if (!f) continue;
    const missing: string[] = [];
    (await readList(readText, f.file.path)).forEach((raw, i) => {
      const line = raw.trim();
      if (!line) return;
      const [relPath, labelField] = line.split(/\s+/);
      const parts = relPath.split(/[\\/]/);
      const stem = splitExt(parts[parts.length - 1]).stem;
      const key = stem.toLowerCase();
      const folder = parts.length > 1 ? parts[parts.length - 2] : undefined;
      if (!videos.has(key)) {
        missing.push(stem);
        return;
      }
      const clip = clips.get(key);
      if (!clip) return; // dropped above with a reason
      const listed = labelField !== undefined ? Number(labelField) - 1 : labelOf(folder, stem);
      if (listed !== clip.label) {
        out.warnings.push(`${f.name} line ${i + 1}: label of ${stem} disagrees with its class folder/name; using ${classNames[clip.label]}`);
      }
      const previous = assigned.get(key);
      if (previous && previous !== split) out.warnings.push(`${stem} is listed in both ${listName.train} and ${listName.test}; kept in ${previous}`);
      if (!previous) assigned.set(key, split);
    });
    if (missing.length > 0) {
      out.warnings.push(`${f.name}: ${missing.length} listed clips not found among the dropped files: ${listNames(missing)}`);
    }
  }

  const haveLists = lists.train !== undefined || lists.test !== undefined;
  const rest: SplitName | null = lists.train && lists.test ? null : lists.train ? 'test' : 'train';
  const result: RawClip<F>[] = [];
  let unlisted = 0;
  for (const [key, clip] of clips) {
    if (!haveLists) {
      result.push(clip);
      continue;
    }
    const split = assigned.get(key) ?? rest;
    if (!split) {
      out.ignore(clip.video!.path, 'not-in-split', `not listed in ${listName.train} or ${listName.test}`);
      continue;
    }
    if (!assigned.has(key)) unlisted++;
    result.push({ ...clip, split });
  }
  if (haveLists && rest && unlisted > 0) {
    out.warnings.push(`only ${lists.train ? listName.train : listName.test} found: ${unlisted} clips not listed in it are used as ${rest}`);
  }
  return { classNames, clips: result, splitSource: haveLists ? 'files' : null, secondModality: hasFlow ? 'flow' : 'rgb' };
}

// ---------------------------------------------------------------------------------------------------------------
// Split, ordering, summary

/**
 * Seeded stratified split. Per class (classes in ascending label order, one Rng(seed) shared in that order): the
 * class's indices in input order are shuffled (Fisher-Yates) and the first k go to test, with
 * k = round(n * testFraction) (half up), at least 1 when n >= 2 and testFraction > 0, at most n - 1 (a class of one
 * clip stays in train). With 0.1 this reproduces CREMA-D's 6698 / 744.
 */
export function stratifiedSplit(labels: ArrayLike<number>, testFraction = 0.1, seed = 0): SplitName[] {
  if (!(testFraction >= 0 && testFraction < 1)) throw new Error(`stratifiedSplit: testFraction must be in [0, 1), got ${testFraction}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    let list = byClass.get(labels[i]);
    if (!list) byClass.set(labels[i], (list = []));
    list.push(i);
  }
  const out: SplitName[] = new Array<SplitName>(labels.length).fill('train');
  const rng = new Rng(seed);
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = byClass.get(label)!;
    const n = idx.length;
    let k = Math.round(n * testFraction);
    if (n >= 2 && testFraction > 0) k = Math.max(k, 1);
    k = Math.min(k, Math.max(0, n - 1));
    rng.shuffle(idx);
    for (let j = 0; j < k; j++) out[idx[j]] = 'test';
  }
  return out;
}

/** Compares strings with digit runs as numbers (`frame2` < `frame10`), case-insensitively first. */
export function naturalCompare(a: string, b: string): number {
  const ta = a.match(/\d+|\D+/g) ?? [];
  const tb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i];
    const y = tb[i];
    if (x === y) continue;
    const xd = /^\d/.test(x);
    const yd = /^\d/.test(y);
    if (xd && yd) {
      const xs = x.replace(/^0+(?=\d)/, '');
      const ys = y.replace(/^0+(?=\d)/, '');
      if (xs.length !== ys.length) return xs.length - ys.length;
      if (xs !== ys) return xs < ys ? -1 : 1;
      continue;
    }
    const xl = x.toLowerCase();
    const yl = y.toLowerCase();
    if (xl !== yl) return xl < yl ? -1 : 1;
  }
  if (ta.length !== tb.length) return ta.length - tb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface PlanSummary {
  layout: DatasetLayout;
  splitSource: SplitSource;
  secondModality: 'rgb' | 'flow';
  classes: Array<{ label: number; name: string; train: number; test: number }>;
  train: number;
  test: number;
  ignored: number;
  ignoredByKind: Partial<Record<IgnoreKind, number>>;
  warnings: number;
}

/** Clips per class per split, and counts of ignored files by kind. */
export function summarizePlan(plan: DatasetPlan<FileRef>): PlanSummary {
  const classes = plan.classNames.map((name, label) => ({ label, name, train: 0, test: 0 }));
  for (const c of plan.clips) classes[c.label][c.split]++;
  const ignoredByKind: Partial<Record<IgnoreKind, number>> = {};
  for (const i of plan.ignored) ignoredByKind[i.kind] = (ignoredByKind[i.kind] ?? 0) + 1;
  return {
    layout: plan.layout,
    splitSource: plan.splitSource,
    secondModality: plan.secondModality,
    classes,
    train: classes.reduce((s, c) => s + c.train, 0),
    test: classes.reduce((s, c) => s + c.test, 0),
    ignored: plan.ignored.length,
    ignoredByKind,
    warnings: plan.warnings.length,
  };
}

/** A plain-text table of a summary (for the CLI and logs). */
export function formatPlanSummary(s: PlanSummary): string {
  const width = Math.max(5, ...s.classes.map((c) => c.name.length));
  const row = (a: string, b: string | number, c: string | number) => `${a.padEnd(width)}  ${String(b).padStart(6)}  ${String(c).padStart(6)}`;
  const lines = [
    `${s.layout}: ${s.classes.length} classes, ${s.train} train / ${s.test} test clips (split from ${s.splitSource}), ` +
      `modalities ${s.secondModality === 'flow' ? 'RGB + flow' : 'audio + RGB'}`,
    row('class', 'train', 'test'),
    ...s.classes.map((c) => row(c.name, c.train, c.test)),
  ];
  if (s.ignored > 0) {
    const kinds = Object.entries(s.ignoredByKind).map(([k, n]) => `${k} ${n}`);
    lines.push(`ignored ${s.ignored} files: ${kinds.join(', ')}`);
  }
  if (s.warnings > 0) lines.push(`${s.warnings} warnings`);
  return lines.join('\n');
}
