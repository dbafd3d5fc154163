/**
 * What became of every dropped file, in three words: a clip is "used", "used with a warning" (decoding errors, less
 * decoded than the file claims, very short audio) or "skipped" (it could not be decoded), and every file the planner
 * left out or could not read is "skipped" with its reason. The page's dataset panel and the CLI list the same rows;
 * the bad-input tests compare them with their table of expected verdicts. Pure.
 */
import type { DatasetPlan, FileRef, IgnoredFile, PlannedClip } from '../layouts';
import type { UnreadableFile } from './fileEntries';

export type Verdict = 'used' | 'warned' | 'skipped';

export interface FileVerdict {
  /** A clip's main file (its video, else its frame folder, else its audio), or the ignored or unreadable path. */
  path: string;
  verdict: Verdict;
  /** Why it was skipped or warned about (empty when used). */
  reasons: string[];
  /** Every file of a clip (its video, audio, frame folder); just `path` for a file that is no clip. */
  files: string[];
  /** The clip's id in the plan; absent for files that are no clip. */
  clipId?: string;
}

/** A clip problem as decoding reports it (decodeDataset's ClipProblem). */
export interface ClipNote {
  clipId: string;
  path: string;
  reason: string;
}

export interface DecodeResultLike {
  failures: readonly ClipNote[];
  clipWarnings: readonly ClipNote[];
  cancelled: boolean;
}

function folderOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/') + 1);
}

/** The file a clip's problems are listed under: its video, else its frame folder, else its audio. */
export function clipMainPath(clip: PlannedClip<FileRef>): string {
  return clip.video?.path ?? (clip.frames?.[0] ? folderOf(clip.frames[0].path) : undefined) ?? clip.audio?.path ?? clip.id;
}

function clipFiles(clip: PlannedClip<FileRef>): string[] {
  const files = [clipMainPath(clip)];
  if (clip.audio && clip.audio.path !== files[0]) files.push(clip.audio.path);
  if (clip.flowU?.[0]) files.push(folderOf(clip.flowU[0].path));
  if (clip.flowV?.[0]) files.push(folderOf(clip.flowV[0].path));
  return files;
}

/**
 * One row per planned clip (in plan order), then per file the planner ignored, then per unreadable file. Without a
 * decode result (not decoded yet, or cancelled) every clip is "used" as planned, or "skipped: not decoded".
 */
export function fileVerdicts(
  plan: Pick<DatasetPlan<FileRef>, 'clips' | 'ignored'>,
  unreadable: readonly UnreadableFile[],
  decoded: DecodeResultLike | null,
): FileVerdict[] {
  const failed = new Map<string, ClipNote>();
  const warned = new Map<string, string[]>();
  for (const f of decoded?.failures ?? []) failed.set(f.clipId, f);
  for (const w of decoded?.clipWarnings ?? []) warned.set(w.clipId, [...(warned.get(w.clipId) ?? []), w.reason]);
  const rows: FileVerdict[] = [];
  for (const clip of plan.clips) {
    const path = clipMainPath(clip);
    const files = clipFiles(clip);
    const failure = failed.get(clip.id);
    const notes = warned.get(clip.id);
    if (decoded?.cancelled && !notes) rows.push({ path, verdict: 'skipped', reasons: ['not decoded (cancelled)'], files, clipId: clip.id });
    else if (failure) rows.push({ path, verdict: 'skipped', reasons: [failure.path === path ? failure.reason : `${failure.path}: ${failure.reason}`], files, clipId: clip.id });
    else if (notes) rows.push({ path, verdict: 'warned', reasons: notes, files, clipId: clip.id });
    else rows.push({ path, verdict: 'used', reasons: [], files, clipId: clip.id });
  }
  for (const i of plan.ignored as readonly IgnoredFile[]) rows.push({ path: i.path, verdict: 'skipped', reasons: [i.reason], files: [i.path] });
  for (const u of unreadable) rows.push({ path: u.path, verdict: 'skipped', reasons: [u.reason], files: [u.path] });
  return rows;
}

/** How many rows end in each verdict. */
export function countVerdicts(rows: readonly FileVerdict[]): Record<Verdict, number> {
  const out: Record<Verdict, number> = { used: 0, warned: 0, skipped: 0 };
  for (const r of rows) out[r.verdict]++;
  return out;
}

/** "40 used, 3 used with a warning, 12 skipped". */
export function verdictCountsText(counts: Record<Verdict, number>): string {
  return `${counts.used} used, ${counts.warned} used with a warning, ${counts.skipped} skipped`;
}
