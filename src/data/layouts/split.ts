/**
 * The train/test split of a plan: from split lists (CREMA-D's train.csv / test.csv, UCF-101's trainlist0N.txt /
 * testlist0N.txt), or, when the files carry none, a seeded stratified split.
 */
import { Rng } from '../../core/random';
import { type Collector, type Entry, listNames, readList } from './entries';
import type { FileRef, RawClip, ReadText, SplitName, SplitSource } from './types';

/** One line of a split list, as the layout reads it: the clip's key in the clips map and its name for messages. */
export interface ListedClip {
  key: string;
  name: string;
}

export interface SplitLists<F extends FileRef> {
  /** The list file found for each split (either may be missing). */
  files: Partial<Record<SplitName, Entry<F>>>;
  /** The lists' names in messages, e.g. { train: 'train.csv', test: 'test.csv' }. */
  names: Record<SplitName, string>;
  /**
   * Reads one trimmed, non-empty line (`index` 0-based) of `file`; null skips it (the layout has said why, or
   * the clip was already left out with a reason). A key not in the clips map counts as a missing clip.
   */
  parseLine(line: string, index: number, file: Entry<F>): ListedClip | null;
}

/**
 * Splits the clips by the lists: a clip goes to the first list naming it (a clip named in both lists is kept in
 * that one, with a warning). With only one list, unlisted clips go to the other split (with a warning); with both,
 * unlisted clips are ignored. Listed names not among the clips are warned about per list. Without any list the
 * clips come back unsplit and the split source is null.
 */
export async function splitFromLists<F extends FileRef>(
  clips: Map<string, RawClip<F>>,
  lists: SplitLists<F>,
  readText: ReadText,
  out: Collector,
): Promise<{ clips: RawClip<F>[]; splitSource: SplitSource | null }> {
  const { files, names } = lists;
  if (!files.train && !files.test) return { clips: [...clips.values()], splitSource: null };

  const assigned = new Map<string, SplitName>();
  for (const split of ['train', 'test'] as const) {
    const f = files[split];
    if (!f) continue;
    const missing: string[] = [];
    (await readList(readText, f.file.path)).forEach((raw, i) => {
      const line = raw.trim();
      if (!line) return;
      const listed = lists.parseLine(line, i, f);
      if (!listed) return;
      const previous = assigned.get(listed.key);
      if (previous) {
        if (previous !== split) out.warnings.push(`${listed.name} is listed in both ${names.train} and ${names.test}; kept in ${previous}`);
        return;
      }
      if (!clips.has(listed.key)) {
        missing.push(listed.name);
        return;
      }
      assigned.set(listed.key, split);
    });
    if (missing.length > 0) {
      out.warnings.push(`${f.name}: ${missing.length} listed clips not found among the dropped files: ${listNames(missing)}`);
    }
  }

  const rest: SplitName | null = files.train && files.test ? null : files.train ? 'test' : 'train';
  const result: RawClip<F>[] = [];
  let unlisted = 0;
  for (const [key, clip] of clips) {
    const split = assigned.get(key) ?? rest;
    if (!split) {
      for (const f of [clip.video, clip.audio]) if (f) out.ignore(f.path, 'not-in-split', `not listed in ${names.train} or ${names.test}`);
      continue;
    }
    if (!assigned.has(key)) unlisted++;
    result.push({ ...clip, split });
  }
  if (rest && unlisted > 0) {
    out.warnings.push(`only ${files.train ? names.train : names.test} found: ${unlisted} clips not listed in it are used as ${rest}`);
  }
  return { clips: result, splitSource: 'files' };
}

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
