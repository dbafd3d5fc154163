/**
 * The curves of each chart for a set of runs: per-batch curves (smoothed, downsampled, thin) and per-epoch
 * values (exact), with what the legends say about them. Pure, so the charts only draw.
 *
 * How the charts encode things: in the loss, fused, rho and mix charts a run is its colour and marker; in the
 * imbalance view's accuracy chart colour is the branch (first warm, second cool: the same in every run) and a run is
 * its marker. Train is a solid line, test a dashed one; per-batch curves are thin and pale. The legends name these
 * encodings once (so they stay small however many runs are drawn); the runs themselves are named once, in the
 * panel's run key (and in an exported chart's legend).
 *
 * Branches are named by the runs' kinds (`ChartNames`): "RGB" and "Flow" for RGB + flow runs, "Audio" and "RGB" for
 * the demo; a curve by its own run's pair. Where the runs drawn have different pairs, the titles and the legend say
 * "first branch" / "second branch" (with the kinds each is in the runs drawn) rather than one run's names.
 */
import type { EpochMetrics } from '../../core/events';
import { branchLabel, branchName, capitalised, KIND_NAMES, rhoFormula, rhoSide, sharedPair, strongerText, type Branch, type ModalityPair } from '../../core/modalities';
import { batchCurve, epochSeries, mixedModalities, warmupSpan, type BatchPoint, type MixingConfig, type XY } from '../chartData';
import { LEGEND_MUTED, MODALITY_COLORS, type RunMarker } from '../palette';

/** Makes the drawn curve of a per-batch metric (`batchCurve`, or a cache that gives the same). */
export type CurveFn = (points: readonly BatchPoint[], key: 'loss' | 'acc' | 'mix', smoothing: number) => XY[];

export type ChartId = 'loss' | 'fused' | 'modalities' | 'rho' | 'mix';
export const CHART_IDS: readonly ChartId[] = ['loss', 'fused', 'modalities', 'rho', 'mix'];

/**
 * What the charts call the branches of the runs drawn: `pair` their common pair, or null when they differ; `branches`
 * the legend's name of each colour ("RGB"; for several pairs "first branch (Audio, RGB)": the kinds it is in them).
 */
export interface ChartNames {
  pair: ModalityPair | null;
  branches: Record<Branch, string>;
}

/** The names for runs of these pairs; `fallback` (the selected dataset's pair) when no run is drawn. */
export function chartNames(pairs: readonly ModalityPair[], fallback: ModalityPair): ChartNames {
  const pair = sharedPair(pairs, fallback);
  const name = (branch: Branch) => {
    if (pair) return branchName(pair, branch);
    const kinds = [...new Set(pairs.map((p) => KIND_NAMES[p[branch === 'audio' ? 0 : 1]]))];
    return `${branchLabel(null, branch)} (${kinds.join(', ')})`;
  };
  return { pair, branches: { audio: name('audio'), visual: name('visual') } };
}

/** Each chart's title, the branches named as `names` says. */
export function chartTitles(names: Pick<ChartNames, 'pair'>): Record<ChartId, string> {
  const { pair } = names;
  return {
    loss: 'Training loss',
    fused: 'Fused accuracy (train / test)',
    modalities: `${capitalised(branchLabel(pair, 'audio'))} vs ${branchLabel(pair, 'visual')} accuracy (train / test)${pair ? '' : ', runs of several modality pairs'}`,
    rho: `Imbalance rho = ${rhoFormula(pair)} (${rhoSide(pair, '>')})`,
    mix: 'Mixing per epoch: B-MM m and the modality it mixes, OGM-GE k',
  };
}

/** The axis titles of each chart (x is the epoch everywhere). */
export function yTitles(names: Pick<ChartNames, 'pair'>): Record<ChartId, string> {
  return { loss: 'loss', fused: 'accuracy', modalities: 'accuracy', rho: `rho (${rhoFormula(names.pair)})`, mix: 'm or k' };
}
export const X_TITLE = 'epoch';

/** What a curve is, for the legend: per-batch, per-epoch, train or test. */
export type SeriesKind = 'batch' | 'epoch' | 'train' | 'test';

export interface Series {
  id: string;
  /** The run it belongs to. */
  runId: string;
  /** The tooltip's name of the curve (the run label first when several runs are drawn). */
  name: string;
  kind: SeriesKind;
  color: string;
  points: XY[];
  dashed: boolean;
  width: number;
  opacity: number;
  /** The marker of the per-epoch points (the run's); null: no markers (per-batch curves). */
  marker: RunMarker | null;
  /** A marker on every n-th point only, so long runs stay a bounded number of SVG nodes (0: none). */
  dotEvery: number;
  /** Per point, a fill for its marker (the mix chart: the modality mixed in that epoch); null entries: the line's colour. */
  pointColors: (string | null)[] | null;
}

export interface ChartRun {
  id: string;
  label: string;
  /** The run's branch kinds: its curves are named by them. */
  modalities: ModalityPair;
  color: string;
  marker: RunMarker;
  config: MixingConfig;
  epochs: readonly EpochMetrics[];
  batches: readonly BatchPoint[];
}

/** Per-epoch curves get markers on at most this many points. */
export const MAX_MARKERS = 40;

/** The neutral colour of the legend's line-style glyphs (train, test, per batch). */
export const NEUTRAL = '#374151';

function dotEvery(points: number): number {
  return points === 0 ? 0 : Math.max(1, Math.ceil(points / MAX_MARKERS));
}

function epochLine(
  run: ChartRun,
  key: string,
  name: string,
  kind: SeriesKind,
  get: (m: EpochMetrics) => number | null | undefined,
  options: { dashed?: boolean; color?: string } = {},
): Series {
  const points = epochSeries(run.epochs, get);
  return {
    id: `${run.id}:${key}`,
    runId: run.id,
    name,
    kind,
    color: options.color ?? run.color,
    points,
    dashed: options.dashed ?? false,
    width: 2,
    opacity: 1,
    marker: run.marker,
    dotEvery: dotEvery(points.length),
    pointColors: null,
  };
}

function batchLine(run: ChartRun, key: 'loss' | 'acc' | 'mix', name: string, smoothing: number, curve: CurveFn): Series {
  return {
    id: `${run.id}:batch-${key}`,
    runId: run.id,
    name,
    kind: 'batch',
    color: run.color,
    points: curve(run.batches, key, smoothing),
    dashed: false,
    width: 1,
    opacity: 0.45,
    marker: null,
    dotEvery: 0,
    pointColors: null,
  };
}

/** The per-epoch mix curve, each point's marker filled with the colour of the modality B-MM mixed in that epoch. */
function mixLine(run: ChartRun, name: string): Series {
  const line = epochLine(run, 'mix', name, 'epoch', (m) => m.mix);
  const mixed = mixedModalities(run.config, run.epochs);
  const byEpoch = new Map(run.epochs.map((m, i) => [m.epoch, mixed[i]]));
  const colors = line.points.map((p) => {
    const weak = byEpoch.get(p.x);
    return weak ? MODALITY_COLORS[weak] : null;
  });
  return { ...line, pointColors: colors.some((c) => c !== null) ? colors : null };
}

/** Every chart's series for the given runs; names carry the run label only when several runs are drawn. */
export function buildSeries(runs: readonly ChartRun[], smoothing: number, curve: CurveFn = batchCurve): Record<ChartId, Series[]> {
  const out: Record<ChartId, Series[]> = { loss: [], fused: [], modalities: [], rho: [], mix: [] };
  const many = runs.length > 1;
  for (const run of runs) {
    const n = (what: string) => (many ? `${run.label} · ${what}` : what);
    const [a, v] = [branchName(run.modalities, 'audio'), branchName(run.modalities, 'visual')];
    out.loss.push(batchLine(run, 'loss', n('batch loss'), smoothing, curve), epochLine(run, 'loss', n('epoch loss'), 'epoch', (m) => m.loss));
    out.fused.push(
      batchLine(run, 'acc', n('batch acc'), smoothing, curve),
      epochLine(run, 'train', n('train'), 'train', (m) => m.trainAcc),
      epochLine(run, 'test', n('test'), 'test', (m) => m.testAcc, { dashed: true }),
    );
    out.modalities.push(
      epochLine(run, 'audio-train', n(`${a} train`), 'train', (m) => m.audio.trainAcc, { color: MODALITY_COLORS.audio }),
      epochLine(run, 'audio-test', n(`${a} test`), 'test', (m) => m.audio.testAcc, { color: MODALITY_COLORS.audio, dashed: true }),
      epochLine(run, 'visual-train', n(`${v} train`), 'train', (m) => m.visual.trainAcc, { color: MODALITY_COLORS.visual }),
      epochLine(run, 'visual-test', n(`${v} test`), 'test', (m) => m.visual.testAcc, { color: MODALITY_COLORS.visual, dashed: true }),
    );
    out.rho.push(epochLine(run, 'rho', n('rho'), 'epoch', (m) => m.rho));
    out.mix.push(batchLine(run, 'mix', n('batch'), smoothing, curve), mixLine(run, n('epoch')));
  }
  for (const id of CHART_IDS) out[id] = out[id].filter((s) => s.points.length > 0);
  return out;
}

/** A legend entry's glyph: a solid, dashed or thin line, a filled dot, a colour swatch, or a shaded band. */
export type Glyph = 'line' | 'dashed' | 'thin' | 'dot' | 'swatch' | 'band';

export interface LegendItem {
  key: string;
  label: string;
  glyph: Glyph;
  color: string;
  /** A marker drawn on the glyph (run entries). */
  marker?: RunMarker;
}

/** A shaded x range (B-MM's warm-up) or y range (the side of rho = 1 where a modality is stronger). */
export interface Band {
  key: string;
  axis: 'x' | 'y';
  from: number | null;
  to: number | null;
  color: string;
  opacity: number;
  label: string;
}

export const WARMUP_COLOR = '#6b7280';

/** Charts of the imbalance view, where B-MM's warm-up is shaded. */
const WARMUP_CHARTS: readonly ChartId[] = ['modalities', 'rho', 'mix'];

/**
 * The shaded ranges of a chart: B-MM's warm-up (one band per distinct warm-up among the drawn B-MM runs) on the
 * imbalance view's charts, and in the rho chart the two sides of rho = 1 tinted with the stronger branch's colour
 * and named by it ("> 1: RGB stronger"; "> 1: first branch stronger" for runs of several pairs).
 */
export function chartBands(id: ChartId, runs: readonly Pick<ChartRun, 'config'>[], yRange: [number, number] | null, names: Pick<ChartNames, 'pair'>): Band[] {
  const bands: Band[] = [];
  if (id === 'rho') {
    const [lo, hi] = yRange ?? [null, null];
    bands.push(
      { key: 'audio-stronger', axis: 'y', from: 1, to: hi, color: MODALITY_COLORS.audio, opacity: 0.08, label: rhoSide(names.pair, '>') },
      { key: 'visual-stronger', axis: 'y', from: lo, to: 1, color: MODALITY_COLORS.visual, opacity: 0.08, label: rhoSide(names.pair, '<') },
    );
  }
  if (WARMUP_CHARTS.includes(id)) {
    const ends = [...new Set(runs.map((r) => warmupSpan(r.config)?.[1]).filter((x): x is number => x !== undefined))].sort((a, b) => a - b);
    for (const end of ends) bands.push({ key: `warmup-${end}`, axis: 'x', from: 0, to: end, color: WARMUP_COLOR, opacity: 0.12, label: ends.length > 1 ? `B-MM warm-up (${end})` : 'B-MM warm-up' });
  }
  return bands;
}

/**
 * The y range of the rho chart: every drawn rho and 1 (so both sides of 1 show), padded by a tenth of the span and
 * rounded outwards to 0.1.
 */
export function rhoDomain(series: readonly Series[]): [number, number] {
  let lo = 1;
  let hi = 1;
  for (const s of series) for (const p of s.points) if (Number.isFinite(p.y)) [lo, hi] = [Math.min(lo, p.y), Math.max(hi, p.y)];
  const pad = Math.max(0.1, (hi - lo) * 0.1);
  return [Math.max(0, Math.floor((lo - pad) * 10) / 10), Math.ceil((hi + pad) * 10) / 10];
}

/**
 * A chart's legend: the encodings its curves use (branch colours, train / test / per batch line styles, the
 * markers of the branch mixed, the shaded ranges), each once whatever the number of runs; branches as `names` calls them.
 */
export function chartLegend(id: ChartId, series: readonly Series[], bands: readonly Band[], names: Pick<ChartNames, 'branches'>): LegendItem[] {
  const kinds = new Set(series.map((s) => s.kind));
  const items: LegendItem[] = [];
  if (id === 'modalities') {
    if (series.some((s) => s.color === MODALITY_COLORS.audio)) items.push({ key: 'audio', label: names.branches.audio, glyph: 'swatch', color: MODALITY_COLORS.audio });
    if (series.some((s) => s.color === MODALITY_COLORS.visual)) items.push({ key: 'visual', label: names.branches.visual, glyph: 'swatch', color: MODALITY_COLORS.visual });
  }
  if (kinds.has('batch')) items.push({ key: 'batch', label: 'per batch', glyph: 'thin', color: NEUTRAL });
  if (kinds.has('epoch')) items.push({ key: 'epoch', label: id === 'rho' ? 'rho per epoch' : 'per epoch', glyph: 'line', color: NEUTRAL });
  if (kinds.has('train')) items.push({ key: 'train', label: 'train', glyph: 'line', color: NEUTRAL });
  if (kinds.has('test')) items.push({ key: 'test', label: 'test', glyph: 'dashed', color: NEUTRAL });
  if (id === 'rho' && series.length > 0) items.push({ key: 'rho-1', label: 'rho = 1', glyph: 'dashed', color: LEGEND_MUTED });
  if (id === 'mix') {
    const fills = new Set(series.flatMap((s) => s.pointColors ?? []));
    if (fills.has(MODALITY_COLORS.audio)) items.push({ key: 'mixes-audio', label: `mixes ${names.branches.audio}`, glyph: 'dot', color: MODALITY_COLORS.audio });
    if (fills.has(MODALITY_COLORS.visual)) items.push({ key: 'mixes-visual', label: `mixes ${names.branches.visual}`, glyph: 'dot', color: MODALITY_COLORS.visual });
  }
  for (const b of bands) items.push({ key: b.key, label: b.label, glyph: 'band', color: b.color });
  return items;
}

/** The run entries of an exported chart's legend: each run's label with its marker, in its colour (the modality chart: neutral). */
export function runLegend(id: ChartId, runs: readonly Pick<ChartRun, 'label' | 'color' | 'marker'>[]): LegendItem[] {
  return runs.map((r, i) => ({ key: `run-${i}`, label: r.label, glyph: id === 'modalities' ? 'dot' : 'line', color: id === 'modalities' ? NEUTRAL : r.color, marker: r.marker }));
}

/** What a chart shows, in words, for screen readers (the figure's accessible name carries it). */
export function chartSummary(id: ChartId, title: string, yTitle: string, series: readonly Series[], runs: readonly Pick<ChartRun, 'id' | 'label' | 'modalities' | 'config' | 'epochs'>[]): string {
  const drawn = runs.filter((r) => series.some((s) => s.runId === r.id));
  if (drawn.length === 0) return `${title}: nothing recorded yet`;
  const parts = drawn.map((r) => {
    const last = r.epochs[r.epochs.length - 1];
    if (!last) return `${r.label}: no epoch yet`;
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    const name = (branch: Branch) => branchName(r.modalities, branch);
    switch (id) {
      case 'loss':
        return `${r.label}: epoch ${last.epoch} loss ${last.loss.toPrecision(3)}`;
      case 'fused':
        return `${r.label}: epoch ${last.epoch} train ${pct(last.trainAcc)}, test ${pct(last.testAcc)}`;
      case 'modalities':
        return `${r.label}: epoch ${last.epoch} test ${name('audio')} ${pct(last.audio.testAcc)}, ${name('visual')} ${pct(last.visual.testAcc)}`;
      case 'rho':
        return `${r.label}: epoch ${last.epoch} rho ${last.rho.toPrecision(3)}, ${strongerText(r.modalities, last.rho)}`;
      case 'mix': {
        const mixed = mixedModalities(r.config, r.epochs);
        const i = r.epochs.length - 1;
        if (last.mix === null) return `${r.label}: no mixing`;
        const weak = mixed[i];
        return `${r.label}: epoch ${last.epoch} ${weak ? `mixes ${name(weak)} with m ${last.mix.toPrecision(3)}` : `strength ${last.mix.toPrecision(3)}`}`;
      }
    }
  });
  return `${title}, x: ${X_TITLE}, y: ${yTitle}. ${parts.join('; ')}`;
}

function samePoints(a: readonly XY[], b: readonly XY[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].x !== b[i].x || a[i].y !== b[i].y) return false;
  return true;
}

function sameColors(a: Series['pointColors'], b: Series['pointColors']): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return a.every((c, i) => c === b[i]);
}

function sameSeries(a: Series, b: Series): boolean {
  return (
    a.id === b.id &&
    a.name === b.name &&
    a.kind === b.kind &&
    a.color === b.color &&
    a.dashed === b.dashed &&
    a.width === b.width &&
    a.opacity === b.opacity &&
    a.marker === b.marker &&
    a.dotEvery === b.dotEvery &&
    sameColors(a.pointColors, b.pointColors) &&
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
  for (const id of CHART_IDS) {
    const a = prev[id];
    const b = next[id];
    if (a && a.length === b.length && a.every((s, i) => sameSeries(s, b[i]))) out[id] = a;
    else changed = true;
  }
  return changed ? out : prev;
}

/** The x range shared by all charts: 0 to the most epochs any drawn run is configured for or has reached. */
export function xDomain(runs: readonly Pick<ChartRun, 'epochs'>[], configuredEpochs: readonly number[]): [number, number] {
  let max = 1;
  for (const e of configuredEpochs) max = Math.max(max, e);
  for (const run of runs) {
    const last = run.epochs[run.epochs.length - 1];
    if (last) max = Math.max(max, last.epoch);
  }
  return [0, max];
}
