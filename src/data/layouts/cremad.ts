/**
 * The CREMA-D layout: `ActorID_Sentence_EMOTION_Level.ext` anywhere (`VideoFlash/`, `AudioWAV/` ...), label from
 * the EMOTION field (NEU 0, HAP 1, SAD 2, FEA 3, DIS 4, ANG 5); audio from a same-stem audio file (preferring one
 * in `AudioWAV/`), else the clip's own track; split from `train.csv` / `test.csv` (`clipname,LABEL`).
 */
import { type Collector, type Entry, ignoreAll, isMediaExt, pickFirst } from './entries';
import { splitExt } from './paths';
import { type ListedClip, splitFromLists } from './split';
import type { FileRef, LayoutResult, RawClip, ReadText, SplitName } from './types';
import { AUDIO_RGB } from '../../core/modalities';

/** CREMA-D emotion codes in label order. */
export const CREMA_D_EMOTIONS = ['NEU', 'HAP', 'SAD', 'FEA', 'DIS', 'ANG'] as const;
export const CREMA_D_CLASS_NAMES = ['neutral', 'happy', 'sad', 'fear', 'disgust', 'anger'];

const SPLIT_FILE_NAMES: Record<SplitName, string> = { train: 'train.csv', test: 'test.csv' };

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

/** Plans a CREMA-D drop: one clip per stem with a video, its audio file if any, split by the CSV files. */
export async function planCremaD<F extends FileRef>(
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
    // The dataset's own VideoFlash/ copy first (a stem may also sit in a folder of copies), then FLV.
    const videoRank = (e: Entry<F>) => (e.dirs.some((d) => d.toLowerCase() === 'videoflash') ? 0 : 2) + (e.ext === 'flv' ? 0 : 1);
    const video = pickFirst(g.videos, videoRank, out, 'video');
    const audioRank = (e: Entry<F>) => (e.dirs.some((d) => d.toLowerCase() === 'audiowav') ? 0 : 2) + (e.ext === 'wav' ? 0 : 1);
    const audio = g.audios.length > 0 ? pickFirst(g.audios, audioRank, out, 'audio file') : undefined;
    clips.set(key, { id: g.stem, label: g.label, video: video.file, ...(audio ? { audio: audio.file } : {}) });
  }

  /** `clip,LABEL` (the clip with or without extension, LABEL an emotion code or index); a header line is skipped. */
  const parseLine = (line: string, i: number, f: Entry<F>): ListedClip | null => {
    const fields = line.split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1'));
    let name = fields[0].split(/[\\/]/).pop() ?? '';
    const { stem, ext } = splitExt(name);
    if (isMediaExt(ext)) name = stem;
    const parsed = parseCremaDName(name);
    if (!parsed) {
      // A header line ("clip,label") is tolerated silently.
      if (i > 0 || fields.length < 2) out.warnings.push(`${f.name} line ${i + 1}: '${fields[0]}' is not a CREMA-D clip name`);
      return null;
    }
    const code = (fields[1] ?? '').toUpperCase();
    const listed = /^\d+$/.test(code) ? Number(code) : (CREMA_D_EMOTIONS as readonly string[]).indexOf(code);
    if (code && listed !== parsed.label) {
      out.warnings.push(`${f.name} line ${i + 1}: label '${fields[1]}' disagrees with the name ${name}; using ${parsed.emotion}`);
    }
    return { key: name.toUpperCase(), name };
  };
  const split = await splitFromLists(clips, { files: splitFiles, names: SPLIT_FILE_NAMES, parseLine }, readText, out);
  return { classNames: [...CREMA_D_CLASS_NAMES], ...split, pairs: [AUDIO_RGB] };
}
