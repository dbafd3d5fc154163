/**
 * "Reproduce Table 2 on this dataset": the queue of runs that fills the Compare view's table for the paper's Table 2
 * (and BalanceBenchmark's two leaders), every method the lab has x seeds 0, 1, 2, with the paper's settings where
 * the lab has them (METHOD.md: Adam lr 1e-3 with weight decay 1e-4, concatenation fusion, zero-masked unimodal
 * scores; B-MM beta 1 after 5 warm-up epochs, m unbounded, as the paper reads it; MM alpha 0.5; OGM-GE alpha 0.8 over
 * epochs 0-50; G-Blending, PMR, AGM and MMPareto at their authors' defaults). The preset (sizes, batch, epochs), the
 * evaluation protocol (BN statistics, validation split) and the backend are the current form's, except that G-Blending,
 * which measures its weights on held-out clips, holds out 10 % of the training split when the form holds out none. Seeds are the outer loop, so
 * the table has every method at one seed before the next seed begins.
 *
 * Each seed also trains the two unimodal rows (`audio-only`, `visual-only`: the first and the second branch alone)
 * and then UMT, whose teachers are those two runs of the same seed (`core/umtTeachers.ts`): in the lab the sweep keeps
 * the unimodal runs' weights and loads them as the UMT run's teachers (`LabController`), in the torchrun script the
 * UMT run reads them from the unimodal runs' folders (`sweepScript.ts`).
 *
 * The queue trains through the lab's sweep runner (`LabController.runSweep`: configs already done are skipped, a
 * reload is resumed) and is kept in browser storage so its progress shows again after a reload; its progress
 * counts the queue's configs that have a finished run on the dataset, and its ETA is the live run's time left plus
 * the mean time of the queue's finished runs times the runs still waiting.
 */
import { ALL_SETTINGS, setSetting, type MethodName, type SettingValue, type TrainConfig } from '../core/config';
import { rowLabel, rowMethodOf, type RowMethod } from '../core/resultsTable';
import type { ModalityPair } from '../core/modalities';
import { seededGroupKey } from '../core/runGroups';
import type { RunRecord } from './run';

export const TABLE2_SEEDS: readonly number[] = [0, 1, 2];

/** The validation split G-Blending's runs hold out when the form holds out none. */
export const GBLEND_VAL_SPLIT = 0.1;

/** Settings every run of the queue shares: the paper's optimiser and fusion, METHOD.md's unimodal score. */
const COMMON: readonly [string, SettingValue][] = [
  ['fusion', 'concat'],
  ['lr', 1e-3],
  ['weightDecay', 1e-4],
  ['unimodal', 'zero'],
];

/** The queue's methods in Table 2's order, each with the paper's (or its authors') settings. */
export const TABLE2_METHODS: readonly { row: RowMethod; method: MethodName; settings: readonly [string, SettingValue][] }[] = [
  { row: 'erm', method: 'erm', settings: [] },
  { row: 'gblend', method: 'gblend', settings: [['gblend.superEpoch', 10]] },
  { row: 'pmr', method: 'pmr', settings: [['pmr.alpha', 0.1], ['pmr.momentum', 0.5]] },
  { row: 'ogm-ge', method: 'ogm-ge', settings: [['ogm.mode', 'ogm-ge'], ['ogm.alpha', 0.8], ['ogm.start', 0], ['ogm.end', 50]] },
  // Greedy as its authors' code runs it (epsilon 0.01, curation window 5, from the second epoch).
  { row: 'greedy', method: 'greedy', settings: [['greedy.epsilon', 0.01], ['greedy.window', 5], ['greedy.start', 1]] },
  { row: 'mm', method: 'mm', settings: [['mm.alpha', 0.5]] },
  {
    row: 'bmm',
    method: 'bmm',
    settings: [
      ['bmm.beta', 1],
      ['bmm.warmup', 5],
      ['bmm.coef', 'tanh(beta*(r-1))'],
      ['bmm.level', 'input'],
      ['bmm.targets', 'weak'],
      ['bmm.sample', 'fixed'],
      ['bmm.maxM', 1],
      ['bmm.rhoSmoothing', 0],
      ['bmm.ramp', 0],
    ],
  },
  { row: 'agm', method: 'agm', settings: [['agm.alpha', 0.1]] },
  { row: 'mmpareto', method: 'mmpareto', settings: [['mmpareto.gamma', 1.5]] },
  // The unimodal rows, then UMT, whose teachers they are (same seed): the unimodal runs come first in each seed.
  { row: 'audio-only', method: 'audio-only', settings: [] },
  { row: 'visual-only', method: 'visual-only', settings: [] },
  // UMT at the lab's defaults (alpha 1, BalanceBenchmark's).
  { row: 'umt', method: 'umt', settings: [] },
];

/** Every Table 2 method the lab has x seeds, on `base`'s preset and evaluation settings (see the module doc). */
export function table2Queue(base: TrainConfig, seeds: readonly number[] = TABLE2_SEEDS): TrainConfig[] {
  // Method settings start from their defaults, so a setting left in the form never leaks into the queue.
  let common = base;
  for (const s of ALL_SETTINGS) if (s.methods) common = setSetting(common, s.path, s.default);
  for (const [path, value] of COMMON) common = setSetting(common, path, value);
  const perMethod = TABLE2_METHODS.map((m) => {
    const c = m.settings.reduce((c, [path, value]) => setSetting(c, path, value), setSetting(common, 'method', m.method));
    return m.method === 'gblend' && !(c.valSplit > 0) ? setSetting(c, 'valSplit', GBLEND_VAL_SPLIT) : c;
  });
  return seeds.flatMap((seed) => perMethod.map((c) => setSetting(c, 'seed', seed)));
}

/**
 * What a queue's entry is, for lists: "Concat + B-MM seed 0"; the unimodal entries by the dataset's pair ("Concat +
 * Audio only seed 0"; without a pair "Concat + First branch only seed 0", not a guessed kind).
 */
export function queueEntryLabel(config: TrainConfig, pair: ModalityPair | null = null): string {
  return `${rowLabel(rowMethodOf(config), config.fusion, pair)} seed ${config.seed}`;
}

/** The queue as browser storage keeps it. */
export interface StoredQueue {
  format: 'bmm-lab-table2-queue';
  datasetId: string;
  datasetName: string;
  configs: TrainConfig[];
  /** Milliseconds since 1970. */
  createdAt: number;
}

export const QUEUE_STORAGE_KEY = 'bmm-lab:table2-queue';

export function storedQueue(datasetId: string, datasetName: string, configs: TrainConfig[], now: number): StoredQueue {
  return { format: 'bmm-lab-table2-queue', datasetId, datasetName, configs, createdAt: now };
}

/** The stored queue, or null for nothing or anything else (an older or damaged entry is dropped). */
export function parseStoredQueue(text: string | null): StoredQueue | null {
  if (!text) return null;
  try {
    const q = JSON.parse(text) as Partial<StoredQueue>;
    if (q.format !== 'bmm-lab-table2-queue' || typeof q.datasetId !== 'string' || !Array.isArray(q.configs) || q.configs.length === 0) return null;
    return { format: q.format, datasetId: q.datasetId, datasetName: String(q.datasetName ?? ''), configs: q.configs, createdAt: Number(q.createdAt ?? 0) };
  } catch {
    return null;
  }
}


export interface QueueProgress {
  total: number;
  /** Entries with a finished run on the dataset. */
  done: number;
  /** The entry training now (index into the queue), or null. */
  current: number | null;
  /** Mean wall time of the queue's finished runs, seconds; null before the first. */
  secondsPerRun: number | null;
  /** Time until the whole queue is done, seconds; null when nothing has been measured yet; 0 when done. */
  eta: number | null;
  /** Per entry: done, running or waiting. */
  states: ('done' | 'running' | 'waiting')[];
}

/**
 * Where the queue stands: `runs` are the lab's runs, `liveRunId` the run training now (if any) and `liveEta` its
 * seconds left (from `liveProgress`), `liveEpochSeconds` its time per epoch (for the first run's estimate).
 */
export function queueProgress(
  queue: Pick<StoredQueue, 'datasetId' | 'datasetName' | 'configs'>,
  runs: readonly RunRecord[],
  live: { runId: string | null; eta: number | null; epochSeconds: number | null } = { runId: null, eta: null, epochSeconds: null },
): QueueProgress {
  const onDataset = runs.filter((r) => r.datasetId === queue.datasetId || (queue.datasetName !== '' && r.datasetName === queue.datasetName));
  // A run answers a queue entry when it is on the queue's dataset with the same group settings and seed.
  const doneRuns = new Map<string, RunRecord>();
  for (const r of onDataset) if (r.status === 'done') doneRuns.set(seededGroupKey(r.config), r);
  const liveRun = live.runId ? onDataset.find((r) => r.id === live.runId && r.status !== 'done') : undefined;
  const liveKey = liveRun ? seededGroupKey(liveRun.config) : null;
  const keys = queue.configs.map(seededGroupKey);
  let current: number | null = null;
  const states = keys.map((k, i) => {
    if (doneRuns.has(k)) return 'done' as const;
    if (current === null && k === liveKey) {
      current = i;
      return 'running' as const;
    }
    return 'waiting' as const;
  });
  const finished = keys.map((k) => doneRuns.get(k)).filter((r): r is RunRecord => r !== undefined);
  const done = finished.length;
  const times = finished.map((r) => r.epochs.reduce((s, e) => s + (Number.isFinite(e.seconds) ? e.seconds : 0), 0)).filter((t) => t > 0);
  const secondsPerRun = times.length ? times.reduce((a, b) => a + b, 0) / times.length : null;
  const waiting = states.filter((s) => s === 'waiting').length;
  let eta: number | null;
  if (done === keys.length) eta = 0;
  else {
    const perRun = secondsPerRun ?? (liveRun && live.epochSeconds ? live.epochSeconds * liveRun.config.epochs : null);
    const liveLeft = current !== null ? live.eta : 0;
    eta = perRun === null || liveLeft === null ? null : liveLeft + perRun * waiting;
  }
  return { total: keys.length, done, current, secondsPerRun, eta, states };
}
