/**
 * Pure data preparation for the charts: per-batch points on a fractional-epoch x axis, EMA smoothing, and
 * downsampling of old batch points so a long run keeps a bounded number of points per curve.
 */
import type { BatchProgress, EpochMetrics } from '../core/events';
import { plannedRho } from '../core/bmmPlan';

export interface XY {
  x: number;
  y: number;
}

/** One training batch as the charts keep it; x = epoch - 1 + batch / batches (so epoch e ends at x = e). */
export interface BatchPoint {
  x: number;
  loss: number;
  acc: number;
  mix: number | null;
}

export function batchX(epoch: number, batch: number, batches: number): number {
  return epoch - 1 + (batches > 0 ? batch / batches : 1);
}

export function toBatchPoint(p: BatchProgress): BatchPoint {
  return { x: batchX(p.epoch, p.batch, p.batches), loss: p.loss, acc: p.acc, mix: p.mix };
}

/** A batch metric as XY points, dropping missing (null) and non-finite values. */
export function batchSeries(points: readonly BatchPoint[], key: 'loss' | 'acc' | 'mix'): XY[] {
  const out: XY[] = [];
  for (const p of points) {
    const y = p[key];
    if (y !== null && Number.isFinite(y)) out.push({ x: p.x, y });
  }
  return out;
}

/** An epoch metric as XY points at x = epoch, dropping missing and non-finite values. */
export function epochSeries(epochs: readonly EpochMetrics[], get: (m: EpochMetrics) => number | null | undefined): XY[] {
  const out: XY[] = [];
  for (const m of epochs) {
    const y = get(m);
    if (y !== null && y !== undefined && Number.isFinite(y)) out.push({ x: m.epoch, y });
  }
  return out;
}

/**
 * Exponential moving average with TensorBoard's debiasing: s_i = w s_{i-1} + (1 - w) y_i from s_0 = 0, reported as
 * s_i / (1 - w^i), so the first point is y_1 and early points are not pulled towards 0. w = 0 returns the input.
 */
export function emaSmooth(points: readonly XY[], weight: number): XY[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  if (w === 0) return points.slice();
  const out: XY[] = new Array(points.length);
  let acc = 0;
  let debias = 1;
  for (let i = 0; i < points.length; i++) {
    acc = w * acc + (1 - w) * points[i].y;
    debias *= w;
    out[i] = { x: points[i].x, y: acc / (1 - debias) };
  }
  return out;
}

/**
 * Keeps the last `keepLast` points as they are and averages the older ones in consecutive buckets (x and y both
 * averaged) so that at most `maxBuckets` remain of them. Returns the input unchanged when it is already small.
 */
export function downsample(points: readonly XY[], keepLast: number, maxBuckets: number): XY[] {
  const n = points.length;
  const older = Math.max(0, n - keepLast);
  if (older <= maxBuckets || maxBuckets <= 0) return points.slice();
  const size = Math.ceil(older / maxBuckets);
  const out: XY[] = [];
  for (let start = 0; start < older; start += size) {
    const end = Math.min(start + size, older);
    let sx = 0;
    let sy = 0;
    for (let i = start; i < end; i++) {
      sx += points[i].x;
      sy += points[i].y;
    }
    out.push({ x: sx / (end - start), y: sy / (end - start) });
  }
  for (let i = older; i < n; i++) out.push(points[i]);
  return out;
}

/** Defaults: the last 600 batches exact, at most 600 averaged points before them. */
export const KEEP_LAST = 600;
export const MAX_BUCKETS = 600;

/** Smooth, then downsample: the curve drawn for a per-batch metric. */
export function batchCurve(points: readonly BatchPoint[], key: 'loss' | 'acc' | 'mix', smoothing: number): XY[] {
  return downsample(emaSmooth(batchSeries(points, key), smoothing), KEEP_LAST, MAX_BUCKETS);
}

interface CurveState {
  weight: number;
  /** Batch points consumed so far. */
  n: number;
  acc: number;
  debias: number;
  smoothed: XY[];
}

/**
 * `batchCurve` for a live run's append-only batch array, without going over the whole history on every update:
 * the smoothed points are kept per (array, metric) and extended with the new batches; only the (cheap, bounded
 * output) downsampling runs over all of them. Gives exactly what `batchCurve` gives.
 */
export class BatchCurveCache {
  private readonly states = new WeakMap<readonly BatchPoint[], Partial<Record<'loss' | 'acc' | 'mix', CurveState>>>();

  curve(points: readonly BatchPoint[], key: 'loss' | 'acc' | 'mix', smoothing: number): XY[] {
    const w = Math.min(Math.max(smoothing, 0), 0.999);
    let forArray = this.states.get(points);
    if (!forArray) {
      forArray = {};
      this.states.set(points, forArray);
    }
    let st = forArray[key];
    // A different weight, or an array that shrank (it is not append-only after all): start over.
    if (!st || st.weight !== w || st.n > points.length) {
      st = { weight: w, n: 0, acc: 0, debias: 1, smoothed: [] };
      forArray[key] = st;
    }
    for (let i = st.n; i < points.length; i++) {
      const p = points[i];
      const y = p[key];
      if (y === null || !Number.isFinite(y)) continue;
      if (w === 0) {
        st.smoothed.push({ x: p.x, y });
        continue;
      }
      st.acc = w * st.acc + (1 - w) * y;
      st.debias *= w;
      st.smoothed.push({ x: p.x, y: st.acc / (1 - st.debias) });
    }
    st.n = points.length;
    return downsample(st.smoothed, KEEP_LAST, MAX_BUCKETS);
  }
}

/** Batch points reduced for storage with a run (per-batch curves of past runs), at most about `max` points. */
export function compactBatches(points: readonly BatchPoint[], max: number): BatchPoint[] {
  if (points.length <= max) return points.slice();
  const size = Math.ceil(points.length / max);
  const out: BatchPoint[] = [];
  for (let start = 0; start < points.length; start += size) {
    const end = Math.min(start + size, points.length);
    let sx = 0;
    let sl = 0;
    let sa = 0;
    let sm = 0;
    let mixes = 0;
    for (let i = start; i < end; i++) {
      const p = points[i];
      sx += p.x;
      sl += p.loss;
      sa += p.acc;
      if (p.mix !== null) {
        sm += p.mix;
        mixes++;
      }
    }
    const k = end - start;
    out.push({ x: sx / k, loss: sl / k, acc: sa / k, mix: mixes > 0 ? sm / mixes : null });
  }
  return out;
}

/** The settings `mixedModalities` reads: the method and B-MM's warm-up and rho smoothing. */
export interface MixingConfig {
  method: string;
  bmm: { warmup: number; rhoSmoothing: number };
}

/**
 * Which modality B-MM mixed in each epoch, derived as B-MM decides it (`balancePlan`, METHOD.md section 3): none
 * during the `warmup` first epochs; after it the weak one by the rho it planned with (the previous epochs'; rho > 1:
 * audio is strong, visual is mixed), and none in an epoch whose reported m is 0 or missing. Null for every epoch
 * of other methods.
 */
export function mixedModalities(config: MixingConfig, epochs: readonly Pick<EpochMetrics, 'epoch' | 'rho' | 'mix'>[]): ('audio' | 'visual' | null)[] {
  if (config.method !== 'bmm') return epochs.map(() => null);
  return epochs.map((m, i) => {
    if (m.epoch - 1 < config.bmm.warmup || m.mix === null || !(m.mix > 0)) return null;
    // The session plans epoch e with the rho of the epochs completed before it (1 .. e - 1).
    const before = epochs.slice(0, i).filter((p) => p.epoch < m.epoch);
    const history = before.map((p) => p.rho);
    // Without smoothing B-MM takes the last epoch's rho as it is (a degenerate one means no mixing).
    const rho = config.bmm.rhoSmoothing > 0 ? plannedRho(history, config.bmm.rhoSmoothing) : (history[history.length - 1] ?? null);
    if (rho === null || !Number.isFinite(rho) || rho <= 0 || rho === 1) return null;
    return rho > 1 ? 'visual' : 'audio';
  });
}

/** The x range of B-MM's warm-up (epoch e spans x from e - 1 to e): [0, warmup]; null for other methods or none. */
export function warmupSpan(config: MixingConfig): [number, number] | null {
  return config.method === 'bmm' && config.bmm.warmup > 0 ? [0, config.bmm.warmup] : null;
}
