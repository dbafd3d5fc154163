/**
 * Across-run statistics: runs with the same dataset and the same config apart from the seed form a group, and
 * each group reports mean and standard deviation of best and final test accuracy per modality. Also the sweep
 * helper that expands a base config over seeds and methods.
 */
import { METHODS, type MethodName, type TrainConfig } from '../core/config';
import { meanStd, statsOf, type ModalityStats, type RunGroup, type Stat } from '../core/runGroups';
import type { RunRecord } from './run';

// The grouping itself lives in core (shared with the Compare view's table and `bmm-lab table`).
export { formatStat, groupKey, groupRuns, groupSettings, meanStd, stableStringify, statsOf } from '../core/runGroups';
export type { GroupableRun, ModalityStats, RunGroup, Stat } from '../core/runGroups';

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
