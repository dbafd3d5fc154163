/**
 * Which runs the runs table shows, and in which order: a text filter over what a row says (name, generated label,
 * tags, note, dataset, status, backend), a filter per config column (method, fusion, preset, dataset), and a sort
 * by any column (newest first by default; ties keep creation order).
 */
import { runResults } from '../core/results';
import { runLabel, runName, type RunRecord } from './run';

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
  return [runName(run), runLabel(run.config), ...(run.tags ?? []), run.note ?? '', run.datasetName, run.status, run.backend ?? '', run.source === 'pytorch' ? 'pytorch imported' : '']
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
