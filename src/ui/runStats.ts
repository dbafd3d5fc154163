/**
 * Across-run statistics: runs with the same dataset and the same config apart from the seed form a group, and
 * each group reports mean and standard deviation of best and final test accuracy per modality. Also the sweep
 * helper that expands a base config over seeds and methods.
 */
import { ALL_SETTINGS, getSetting, METHODS, settingApplies, settingPresent, type MethodName, type TrainConfig } from '../core/config';
import { runResults, type BestRule, type ModalityAcc } from '../core/results';
import type { RunRecord } from './run';

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

/** The group a run belongs to: its dataset and the settings its method uses, apart from the seed. */
export function groupKey(datasetName: string, config: TrainConfig): string {
  return `${datasetName}|${stableStringify(groupSettings(config))}`;
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

export interface RunGroup {
  key: string;
  datasetName: string;
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

function statsOf(values: ModalityAcc[]): ModalityStats {
  return {
    fused: meanStd(values.map((v) => v.fused)),
    audio: meanStd(values.map((v) => v.audio)),
    visual: meanStd(values.map((v) => v.visual)),
  };
}

/**
 * Groups finished runs (status `done`; a stopped or running run's "final" is not comparable) by dataset and
 * config-without-seed, in order of each group's first run.
 */
export function groupRuns(runs: readonly RunRecord[]): RunGroup[] {
  const groups = new Map<string, { runs: RunRecord[] }>();
  for (const run of runs) {
    if (run.status !== 'done' || run.epochs.length === 0) continue;
    const key = groupKey(run.datasetName, run.config);
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

/** Paired differences of a group against a baseline group, over the seeds both have (method - baseline). */
export interface GroupDiff {
  seeds: number[];
  best: ModalityStats;
  final: ModalityStats;
}

/** `group` minus `baseline` per seed both ran, as mean ± std over those seeds; null when they share no seed. */
export function pairedDiff(group: RunGroup, baseline: RunGroup): GroupDiff | null {
  const seeds = [...group.bySeed.keys()].filter((s) => baseline.bySeed.has(s)).sort((a, b) => a - b);
  if (seeds.length === 0) return null;
  const diff = (pick: 'best' | 'final') =>
    statsOf(
      seeds.map((s) => {
        const a = group.bySeed.get(s)![pick];
        const b = baseline.bySeed.get(s)![pick];
        return { fused: a.fused - b.fused, audio: a.audio - b.audio, visual: a.visual - b.visual };
      }),
    );
  return { seeds, best: diff('best'), final: diff('final') };
}

/** "+3.2 ± 1.1" in percentage points (signed); without ± for one pair. */
export function formatDiff(stat: Stat, digits = 1): string {
  if (stat.n === 0 || !Number.isFinite(stat.mean)) return '–';
  const v = stat.mean * 100;
  const mean = `${v > 0 ? '+' : v < 0 ? '−' : ''}${Math.abs(v).toFixed(digits)}`;
  return stat.n > 1 ? `${mean} ± ${(stat.std * 100).toFixed(digits)}` : mean;
}

/** "62.3 ± 1.4" in percent; without ± for one run. */
export function formatStat(stat: Stat, digits = 1): string {
  if (stat.n === 0 || !Number.isFinite(stat.mean)) return '–';
  const mean = (stat.mean * 100).toFixed(digits);
  return stat.n > 1 ? `${mean} ± ${(stat.std * 100).toFixed(digits)}` : mean;
}

export interface SweepSpec {
  seeds?: readonly number[];
  methods?: readonly MethodName[];
}

/**
 * The configs of a sweep: every method (outer) times every seed (inner); a missing or empty list keeps the base
 * value. Duplicates in the lists are dropped.
 */
export function sweepConfigs(base: TrainConfig, spec: SweepSpec): TrainConfig[] {
  const methods = spec.methods && spec.methods.length > 0 ? [...new Set(spec.methods)] : [base.method];
  const seeds = spec.seeds && spec.seeds.length > 0 ? [...new Set(spec.seeds)] : [base.seed];
  return methods.flatMap((method) => seeds.map((seed) => ({ ...base, method, seed })));
}

/** Parses "0-4", "0, 1, 2", "1 2 5-7" into seeds; an error names the bad part. At most `max` seeds. */
export function parseSeedList(text: string, max = 100): { seeds: number[] } | { error: string } {
  const seeds: number[] = [];
  const parts = text.split(/[\s,;]+/).filter((p) => p !== '');
  if (parts.length === 0) return { error: 'enter seeds, e.g. "0-4" or "0, 1, 2"' };
  for (const part of parts) {
    const range = /^(-?\d+)-(-?\d+)$/.exec(part);
    if (range) {
      const from = Number(range[1]);
      const to = Number(range[2]);
      if (to < from) return { error: `range "${part}" runs backwards` };
      if (to - from + 1 + seeds.length > max) return { error: `at most ${max} seeds` };
      for (let s = from; s <= to; s++) seeds.push(s);
    } else if (/^-?\d+$/.test(part)) {
      seeds.push(Number(part));
    } else {
      return { error: `"${part}" is not an integer seed or a range like 0-4` };
    }
    if (seeds.length > max) return { error: `at most ${max} seeds` };
  }
  return { seeds: [...new Set(seeds)] };
}

export function isMethod(value: string): value is MethodName {
  return (METHODS as readonly string[]).includes(value);
}

/** One point of a group's curve: mean and mean ± std over the group's runs at that epoch (n: runs with the epoch). */
export interface CurvePoint {
  epoch: number;
  mean: number;
  low: number;
  high: number;
  n: number;
}

/** Which per-epoch number a grouped curve follows. */
export type CurveMetric = 'testAcc' | 'audioTest' | 'visualTest' | 'rho';

const CURVE_VALUE: Record<CurveMetric, (m: RunRecord['epochs'][number]) => number> = {
  testAcc: (m) => m.testAcc,
  audioTest: (m) => m.audio.testAcc,
  visualTest: (m) => m.visual.testAcc,
  rho: (m) => m.rho,
};

/** A group's mean curve with its ± std band, epoch by epoch, over the runs of the group. */
export function groupCurve(group: RunGroup, runs: Readonly<Record<string, RunRecord>>, metric: CurveMetric): CurvePoint[] {
  const byEpoch = new Map<number, number[]>();
  for (const id of group.runIds) {
    for (const m of runs[id]?.epochs ?? []) {
      const v = CURVE_VALUE[metric](m);
      if (!Number.isFinite(v)) continue;
      const list = byEpoch.get(m.epoch);
      if (list) list.push(v);
      else byEpoch.set(m.epoch, [v]);
    }
  }
  return [...byEpoch.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([epoch, values]) => {
      const st = meanStd(values);
      return { epoch, mean: st.mean, low: st.mean - st.std, high: st.mean + st.std, n: st.n };
    });
}
