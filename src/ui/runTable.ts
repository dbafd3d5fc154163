/**
 * Which runs the runs table shows, and in which order: a text filter over what a row says (name, generated label,
 * tags, note, dataset and its modalities, status, backend), a filter per config column (method, fusion, preset,
 * dataset), and a sort by any column (newest first by default; ties keep creation order). Also the names of the
 * per-branch columns, which follow the runs' pair.
 */
import { AUDIO_RGB, branchLabel, pairLabel, sharedPair, type ModalityPair } from '../core/modalities';
import { runResults } from '../core/results';
import { runLabel, runModalities, runName, type RunRecord } from './run';

/** The headers of a table's two per-branch columns and whether its rows are of several pairs. */
export interface BranchColumns {
  audio: string;
  visual: string;
  /** Null when every row has one pair; else what the table says about its branch columns. */
  mixedNote: string | null;
}

/**
 * The per-branch columns of a table of runs (or groups) of these pairs: the kinds' names of their common pair ("RGB",
 * "Flow"); "first branch", "second branch" where the rows are of several pairs, which the table then says (each row
 * shows its own pair).
 */
export function branchColumns(pairs: readonly ModalityPair[]): BranchColumns {
  const pair = sharedPair(pairs, AUDIO_RGB);
  return {
    audio: branchLabel(pair, 'audio'),
    visual: branchLabel(pair, 'visual'),
    mixedNote: pair ? null : 'The rows are of several modality pairs: the branch columns are each row\'s first and second branch, its pair under its dataset.',
  };
}

export type RunSortKey = 'created' | 'name' | 'method' | 'fusion' | 'preset' | 'epochs' | 'seed' | 'bestFused' | 'finalFused' | 'status';

export const RUN_SORT_LABELS: Record<RunSortKey, string> = {
  created: 'Created',
  name: 'Name',
  method: 'Method',
  fusion: 'Fusion',
  preset: 'Preset',
  epochs: 'Epochs',
  seed: 'Seed',
  bestFused: 'Best test acc (fused)',
  finalFused: 'Final test acc (fused)',
  status: 'Status',
};

export interface RunTableView {
  text: string;
  method: string;
  fusion: string;
  preset: string;
  dataset: string;
  sort: RunSortKey;
  descending: boolean;
}

export const DEFAULT_RUN_VIEW: RunTableView = { text: '', method: '', fusion: '', preset: '', dataset: '', sort: 'created', descending: true };

function sortValue(run: RunRecord, key: RunSortKey): number | string {
  switch (key) {
    case 'created':
      return run.createdAt;
    case 'name':
      return runName(run).toLowerCase();
    case 'method':
    case 'fusion':
    case 'preset':
      return run.config[key];
    case 'epochs':
      return run.config.epochs;
    case 'seed':
      return run.config.seed;
    case 'bestFused':
      return runResults(run.epochs)?.best.fused ?? -1;
    case 'finalFused':
      return runResults(run.epochs)?.final.fused ?? -1;
    case 'status':
      return run.status;
  }
}

/** The words a row shows, for the text filter. */
function rowText(run: RunRecord): string {
  const pair = runModalities(run);
  return [runName(run), runLabel(run.config, pair), ...(run.tags ?? []), run.note ?? '', run.datasetName, pairLabel(pair), run.status, run.backend ?? '', run.source === 'pytorch' ? 'pytorch imported' : '']
    .join(' ')
    .toLowerCase();
}

/** The runs to show, filtered and sorted as `view` says. */
export function runTableRows(runs: readonly RunRecord[], view: RunTableView): RunRecord[] {
  const words = view.text.toLowerCase().split(/\s+/).filter(Boolean);
  const kept = runs.filter(
    (r) =>
      (!view.method || r.config.method === view.method) &&
      (!view.fusion || r.config.fusion === view.fusion) &&
      (!view.preset || r.config.preset === view.preset) &&
      (!view.dataset || r.datasetName === view.dataset) &&
      words.every((w) => rowText(r).includes(w)),
  );
  const sign = view.descending ? -1 : 1;
  return kept
    .map((run, i) => ({ run, i, v: sortValue(run, view.sort) }))
    .sort((a, b) => (a.v < b.v ? -sign : a.v > b.v ? sign : a.i - b.i))
    .map((x) => x.run);
}
