/**
 * Dataset discovery from a list of dropped files (METHOD.md section 6): which layout the files follow (CREMA-D,
 * class folders, UCF-101, frame folders; one module each), the class names, every clip with its files, label and
 * split, and every file left out with the reason. Pure functions over paths (as `webkitRelativePath`,
 * '/'-separated, possibly starting with the dropped folder's name; several dropped folders at once are fine);
 * small text files (split lists) are read through a callback. Nothing is decoded here. Without split information
 * the split is seeded and stratified (see stratifiedSplit).
 */
import { planClassFolders } from './classFolders';
import { parseCremaDName, planCremaD } from './cremad';
import { Collector, type Entry, type FileKind, toEntries } from './entries';
import { planFrameFolders } from './frameFolders';
import { naturalCompare } from './paths';
import { stratifiedSplit } from './split';
import { DatasetLayoutError, type DatasetLayout, type DatasetPlan, type FileRef, type LayoutResult, type PlannedClip, type PlanOptions, type ReadText } from './types';
import { planUcf101 } from './ucf101';

/** Works out the layout, classes, clips and split of a dropped dataset. Throws DatasetLayoutError if none fits. */
export async function planDataset<F extends FileRef>(
  files: readonly F[],
  readText: ReadText,
  opts: PlanOptions = {},
): Promise<DatasetPlan<F>> {
  const out = new Collector();
  const entries = toEntries(files, out);
  const layout = opts.layout ?? detectLayout(entries);
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
    pairs: result.pairs,
  };
}

/** The layout the files look like, or null. */
function detectLayout<F extends FileRef>(entries: Entry<F>[]): DatasetLayout | null {
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

/** The layouts the planner reads, in words (for messages). */
export const EXPECTED_LAYOUTS =
  `CREMA-D (ActorID_Sentence_EMOTION_Level.flv with train.csv/test.csv), class folders (CLASS/clip.mp4), UCF-101 ` +
  `(classInd.txt, trainlist01.txt, testlist01.txt) or frame folders (CLASS/clip/*.jpg with clip.wav)`;

function describeUnrecognised<F extends FileRef>(total: number, entries: Entry<F>[]): string {
  const count = (k: FileKind) => entries.filter((e) => e.kind === k).length;
  return (
    `No dataset layout recognised among ${total} files (${count('video')} videos, ${count('audio')} audio, ` +
    `${count('image')} images, ${count('text')} text files). Expected ${EXPECTED_LAYOUTS}.`
  );
}
