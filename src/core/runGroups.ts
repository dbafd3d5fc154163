/**
 * Runs grouped across seeds, without DOM or storage: runs with the same dataset, the same branch kinds and the same
 * config apart from the seed form a group, and each group has mean and standard deviation of best and final test
 * accuracy per head (best and final as `results.ts` computes them). The lab's runs table (`src/ui/runStats.ts`),
 * its Compare view and `bmm-lab table` all group through here. A dataset folder decoded as two pairs (UCF-101 as
 * audio + flow and as RGB + flow) keeps one name, so the pair is part of the group: its heads are not the same.
 */
import { ALL_SETTINGS, getSetting, settingApplies, settingPresent, type TrainConfig } from './config';
import type { EpochMetrics } from './events';
import { AUDIO_RGB, pairName, supportedPair, type ModalityPair } from './modalities';
import { runResults, type BestRule, type ModalityAcc } from './results';

/** JSON with object keys sorted at every level, so equal configs give equal strings. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`).join(',')}}`;
}

/** Settings that never change what a run computes, or that runs of a group differ in on purpose. */
const NOT_GROUPED = new Set(['seed', 'backend', 'featuresEvery', 'featuresMax']);

/**
 * The settings that define a run's group: those that apply to its method (`settingApplies`: B-MM's warm-up does not
 * split ERM runs), without the seed and the settings that do not change results (backend, UMAP sampling).
 */
export function groupSettings(config: TrainConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of ALL_SETTINGS) {
    if (NOT_GROUPED.has(s.path) || !settingApplies(config, s.path) || !settingPresent(config, s.path)) continue;
    out[s.path] = getSetting(config, s.path);
  }
  return out;
}

/** One run of a group: the settings its method uses (`groupSettings`) and its seed, as a key. */
export function seededGroupKey(config: TrainConfig): string {
  return stableStringify({ ...groupSettings(config), seed: config.seed });
}

/** The group a run belongs to: its dataset, its branch kinds and the settings its method uses, apart from the seed. */
export function groupKey(datasetName: string, config: TrainConfig, modalities: ModalityPair = AUDIO_RGB): string {
  return `${datasetName}|${pairName(modalities)}|${stableStringify(groupSettings(config))}`;
}

/**
 * A run's branch kinds: the lab's run records, imported runs and the CLI's run folders all read them here; a run
 * recorded before branch kinds (none stored) was a spectrogram and RGB frames.
 */
export function runModalities(run: Pick<GroupableRun, 'modalities'>): ModalityPair {
  return (Array.isArray(run.modalities) && supportedPair(run.modalities)) || AUDIO_RGB;
}

export interface Stat {
  mean: number;
  /** Sample standard deviation (n - 1 in the denominator); 0 for a single value. */
  std: number;
  n: number;
}

/** Mean and sample standard deviation; NaN mean for no values. */
export function meanStd(values: readonly number[]): Stat {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, std: 0, n };
  const ss = values.reduce((a, v) => a + (v - mean) * (v - mean), 0);
  return { mean, std: Math.sqrt(ss / (n - 1)), n };
}

export interface ModalityStats {
  fused: Stat;
  audio: Stat;
  visual: Stat;
}

/** What grouping needs of a run (the lab's run records and the CLI's run folders both have it). */
export interface GroupableRun {
  id: string;
  datasetName: string;
  /** The branch kinds (absent in runs recorded before them: audio + RGB). */
  modalities?: ModalityPair;
  config: TrainConfig;
  /** Only `done` runs are grouped: a stopped or running run's "final" is not comparable. */
  status: string;
  epochs: readonly Pick<EpochMetrics, 'epoch' | 'testAcc' | 'audio' | 'visual' | 'val'>[];
}

export interface RunGroup {
  key: string;
  datasetName: string;
  /** The branch kinds of every run of the group. */
  modalities: ModalityPair;
  /** The config of the group's first run (the seed is that run's). */
  config: TrainConfig;
  runIds: string[];
  seeds: number[];
  best: ModalityStats;
  final: ModalityStats;
  /** Best and final per seed (the latest run of a seed that appears twice), for paired differences. */
  bySeed: Map<number, { best: ModalityAcc; final: ModalityAcc }>;
  /** How "best" was chosen in every run of the group; 'mixed' when runs differ (some without validation). */
  rule: BestRule | 'mixed';
}

export function statsOf(values: readonly ModalityAcc[]): ModalityStats {
  return {
    fused: meanStd(values.map((v) => v.fused)),
    audio: meanStd(values.map((v) => v.audio)),
    visual: meanStd(values.map((v) => v.visual)),
  };
}

/** Groups finished runs (status `done`) by dataset and config-without-seed, in order of each group's first run. */
export function groupRuns(runs: readonly GroupableRun[]): RunGroup[] {
  const groups = new Map<string, { runs: GroupableRun[] }>();
  for (const run of runs) {
    if (run.status !== 'done' || run.epochs.length === 0) continue;
    const key = groupKey(run.datasetName, run.config, runModalities(run));
    const g = groups.get(key);
    if (g) g.runs.push(run);
    else groups.set(key, { runs: [run] });
  }
  return [...groups.entries()].map(([key, g]) => {
    const results = g.runs.map((r) => runResults(r.epochs)!);
    const bySeed = new Map<number, { best: ModalityAcc; final: ModalityAcc }>();
    g.runs.forEach((r, i) => bySeed.set(r.config.seed, { best: results[i].best, final: results[i].final }));
    const rules = new Set(results.map((r) => r.rule));
    return {
      key,
      datasetName: g.runs[0].datasetName,
      modalities: runModalities(g.runs[0]),
      config: g.runs[0].config,
      runIds: g.runs.map((r) => r.id),
      seeds: g.runs.map((r) => r.config.seed),
      best: statsOf(results.map((r) => r.best)),
      final: statsOf(results.map((r) => r.final)),
      bySeed,
      rule: rules.size === 1 ? [...rules][0] : 'mixed',
    };
  });
}

/** "62.3 ± 1.4" in percent; without ± for one run; "–" for none. */
export function formatStat(stat: Stat, digits = 1): string {
  if (stat.n === 0 || !Number.isFinite(stat.mean)) return '–';
  const mean = (stat.mean * 100).toFixed(digits);
  return stat.n > 1 ? `${mean} ± ${(stat.std * 100).toFixed(digits)}` : mean;
}
