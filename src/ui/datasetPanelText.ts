/** Words of the dataset panel: layout and split-source names, counted nouns, how a decode ended. */
import type { DatasetLayout, SplitSource } from '../data/layouts';
import type { DecodeDone } from './datasetPanelController';
import { formatDuration } from './formatDuration';

export const LAYOUT_NAMES: Record<DatasetLayout, string> = {
  'crema-d': 'CREMA-D',
  'class-folders': 'class folders',
  'ucf-101': 'UCF-101',
  'frame-folders': 'frame folders',
};

export const SPLIT_SOURCES: Record<SplitSource, string> = {
  files: 'split lists',
  folders: 'train/ and test/ folders',
  seeded: 'a seeded 90/10 split',
};

/**
 * The preset the paper uses for a layout when it is not the one chosen: class folders (Kinetics-Sounds) train
 * with 3 frames per clip, the `kinetics-sounds` preset; null otherwise.
 */
export function presetHint(layout: DatasetLayout, preset: string): string | null {
  if (layout !== 'class-folders' || preset === 'kinetics-sounds') return null;
  return 'Kinetics-Sounds-style class folders: the paper trains them with 3 frames per clip, the kinetics-sounds preset (decodes up to 3 frames per clip at 224 px).';
}

/** "1 file", "3 files". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The one-line result of a decode. */
export function doneText(done: DecodeDone): string {
  switch (done.outcome) {
    case 'cancelled':
      return `Cancelled after ${done.decoded + done.cached} clips; decoded clips are cached.`;
    case 'failed':
      return `Decoding stopped: ${done.error}`;
    case 'ready':
      return `Ready: ${done.train} train / ${done.test} test clips (${done.decoded} decoded, ${done.cached} from cache) in ${formatDuration(done.seconds)}.`;
  }
}
