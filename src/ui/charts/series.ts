/**
 * The curves of each chart for a set of runs: per-batch curves (smoothed, downsampled, thin) and per-epoch
 * values (exact). Pure, so the charts only draw.
 */
import type { EpochMetrics } from '../../core/events';
import { batchCurve, epochSeries, type BatchPoint, type XY } from '../chartData';

/** Makes the drawn curve of a per-batch metric (`batchCurve`, or a cache that gives the same). */
export type CurveFn = (points: readonly BatchPoint[], key: 'loss' | 'acc' | 'mix', smoothing: number) => XY[];

export type ChartId = 'loss' | 'fused' | 'audio' | 'visual' | 'rho' | 'mix';

export const CHART_TITLES: Record<ChartId, string> = {
  loss: 'Training loss',
  fused: 'Fused accuracy (train / test)',
  audio: 'Audio accuracy (train / test)',
  visual: 'Visual accuracy (train / test)',
  rho: 'Imbalance rho = s_a / s_v',
  mix: 'Mixing coefficient (B-MM m, OGM-GE k)',
};

export interface Series {
  id: string;
  name: string;
  color: string;
  points: XY[];
  dashed: boolean;
  width: number;
  opacity: number;
  /** Dots only on per-epoch curves of modest length (a dot per batch would be thousands of SVG nodes). */
  dots: boolean;
}

export interface ChartRun {
  id: string;
  label: string;
  color: string;
  epochs: readonly EpochMetrics[];
  batches: readonly BatchPoint[];
}

/** Per-epoch curves get dots up to this many epochs. */
export const MAX_DOTTED_EPOCHS = 80;

function epochLine(run: ChartRun, key: string, name: string, get: (m: EpochMetrics) => number | null | undefined, dashed = false): Series {
  return {
    id: `${run.id}:${key}`,
    name,
    color: run.color,
    points: epochSeries(run.epochs, get),
    dashed,
    width: 2,
    opacity: 1,
    dots: run.epochs.length <= MAX_DOTTED_EPOCHS,
  };
}

function batchLine(run: ChartRun, key: 'loss' | 'acc' | 'mix', name: string, smoothing: number, curve: CurveFn): Series {
  return {
    id: `${run.id}:batch-${key}`,
    name,
    color: run.color,
    points: curve(run.batches, key, smoothing),
    dashed: false,
    width: 1,
    opacity: 0.45,
    dots: false,
  };
}

/** Every chart's series for the given runs; names carry the run label only when several runs are drawn. */
export function buildSeries(runs: readonly ChartRun[], smoothing: number, curve: CurveFn = batchCurve): Record<ChartId, Series[]> {
  const out: Record<ChartId, Series[]> = { loss: [], fused: [], audio: [], visual: [], rho: [], mix: [] };
  const many = runs.length > 1;
  for (const run of runs) {
    const n = (what: string) => (many ? `${run.label} · ${what}` : what);
    out.loss.push(batchLine(run, 'loss', n('batch loss'), smoothing, curve), epochLine(run, 'loss', n('epoch loss'), (m) => m.loss));
    out.fused.push(
      batchLine(run, 'acc', n('batch acc'), smoothing, curve),
      epochLine(run, 'train', n('train'), (m) => m.trainAcc),
      epochLine(run, 'test', n('test'), (m) => m.testAcc, true),
    );
    out.audio.push(
      epochLine(run, 'audio-train', n('train'), (m) => m.audio.trainAcc),
      epochLine(run, 'audio-test', n('test'), (m) => m.audio.testAcc, true),
    );
    out.visual.push(
      epochLine(run, 'visual-train', n('train'), (m) => m.visual.trainAcc),
      epochLine(run, 'visual-test', n('test'), (m) => m.visual.testAcc, true),
    );
    out.rho.push(epochLine(run, 'rho', n('rho'), (m) => m.rho));
    out.mix.push(batchLine(run, 'mix', n('batch'), smoothing, curve), epochLine(run, 'mix', n('epoch'), (m) => m.mix));
  }
  for (const id of Object.keys(out) as ChartId[]) out[id] = out[id].filter((s) => s.points.length > 0);
  return out;
}

function samePoints(a: readonly XY[], b: readonly XY[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].x !== b[i].x || a[i].y !== b[i].y) return false;
  return true;
}

function sameSeries(a: Series, b: Series): boolean {
  return (
    a.id === b.id &&
    a.name === b.name &&
    a.color === b.color &&
    a.dashed === b.dashed &&
    a.width === b.width &&
    a.opacity === b.opacity &&
    a.dots === b.dots &&
    samePoints(a.points, b.points)
  );
}

/**
 * `next` with every chart whose series equal the previous ones' replaced by the previous array, so a memoised
 * chart re-renders only when what it draws changed (a batch event changes the per-batch charts only).
 */
export function stabiliseSeries(prev: Record<ChartId, Series[]> | null, next: Record<ChartId, Series[]>): Record<ChartId, Series[]> {
  if (!prev) return next;
  const out = { ...next };
  let changed = false;
  for (const id of Object.keys(next) as ChartId[]) {
    const a = prev[id];
    const b = next[id];
    if (a.length === b.length && a.every((s, i) => sameSeries(s, b[i]))) out[id] = a;
    else changed = true;
  }
  return changed ? out : prev;
}

/** The x range shared by all charts: 0 to the most epochs any drawn run is configured for or has reached. */
export function xDomain(runs: readonly ChartRun[], configuredEpochs: readonly number[]): [number, number] {
  let max = 1;
  for (const e of configuredEpochs) max = Math.max(max, e);
  for (const run of runs) {
    const last = run.epochs[run.epochs.length - 1];
    if (last) max = Math.max(max, last.epoch);
  }
  return [0, max];
}
