/**
 * The UCF-101 layout: `classInd.txt`, `trainlist0N.txt`, `testlist0N.txt`; `.avi` videos found by file name;
 * optional precomputed flow `u/v_X/frame000001.jpg` and `v/v_X/...` (then the modalities are RGB and flow by
 * default, as in the paper; audio + RGB and audio + flow can be chosen instead).
 */
import { AUDIO_FLOW, AUDIO_RGB, RGB_FLOW } from '../../core/modalities';
import { type Collector, type Entry, readList } from './entries';
import { naturalCompare, splitExt } from './paths';
import { type ListedClip, splitFromLists } from './split';
import { DatasetLayoutError, type FileRef, type LayoutResult, type RawClip, type ReadText, type SplitName } from './types';

/** Plans a UCF-101 drop with split `splitNo`'s lists: one clip per video of a known class (with its flow, if any). */
export async function planUcf101<F extends FileRef>(
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

  /** `Class/v_Class_gXX_cYY.avi [label]`; a video left out above (no flow, unknown class) is skipped silently. */
  const parseLine = (line: string, i: number, f: Entry<F>): ListedClip | null => {
    const [relPath, labelField] = line.split(/\s+/);
    const parts = relPath.split(/[\\/]/);
    const stem = splitExt(parts[parts.length - 1]).stem;
    const key = stem.toLowerCase();
    const clip = clips.get(key);
    if (!clip) return videos.has(key) ? null : { key, name: stem };
    const folder = parts.length > 1 ? parts[parts.length - 2] : undefined;
    const listed = labelField !== undefined ? Number(labelField) - 1 : labelOf(folder, stem);
    if (listed !== clip.label) {
      out.warnings.push(`${f.name} line ${i + 1}: label of ${stem} disagrees with its class folder/name; using ${classNames[clip.label]}`);
    }
    return { key, name: stem };
  };
  const split = await splitFromLists(clips, { files: lists, names: listName, parseLine }, readText, out);
  // RGB + flow is the paper's UCF-101 pair (every clip, audio track or not); audio + RGB and audio + flow on request.
  return { classNames, ...split, pairs: hasFlow ? [RGB_FLOW, AUDIO_RGB, AUDIO_FLOW] : [AUDIO_RGB] };
}
