/**
 * What dataset discovery produces (METHOD.md section 6): the plan of a dropped dataset, its clips and the files
 * left out with their reasons, and the shapes the layout planners share while building it.
 */

import type { ModalityPair } from '../../core/modalities';

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
  /** The pairs of modalities the files can give, the default first: audio + RGB; UCF-101 with u/ and v/ flow adds RGB + flow (its default) and audio + flow. */
  pairs: ModalityPair[];
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

/** A clip as a layout planner produces it: the split is still open when the files carry none. */
export type RawClip<F extends FileRef> = Omit<PlannedClip<F>, 'split'> & { split?: SplitName };

/** What a layout planner hands back to planDataset; `splitSource` null = split by seed. */
export interface LayoutResult<F extends FileRef> {
  classNames: string[];
  clips: RawClip<F>[];
  splitSource: SplitSource | null;
  pairs: ModalityPair[];
}
