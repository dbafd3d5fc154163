/**
 * The training charts for the live run and the runs ticked for overlay: loss and fused accuracy (a run is its colour
 * and marker), then the imbalance view: the first branch's against the second's accuracy (colour = branch, the same
 * for every run; a run is its marker), rho with the side of 1 where each branch is stronger, and the mixing strength
 * with the branch B-MM mixed each epoch, B-MM's warm-up shaded in all three. Branches are called by the runs' kinds
 * ("RGB", "Flow"; see `chartNames`); with nothing drawn, by the selected dataset's. A run key names the runs once;
 * the EMA smoothing control of the per-batch curves; the metrics of the drawn runs as one CSV.
 */
import { useDeferredValue, useMemo, useState } from 'react';
import { BatchCurveCache } from '../chartData';
import { useController, useLab } from '../context';
import { metricsCsvFile, runFileLabel, runsFileLabel } from '../exportMetrics';
import { branchLabel, capitalised, pairName, pairFromName, rhoFormula, type ModalityPair } from '../../core/modalities';
import { colorOfRun, markerOfRun } from '../palette';
import { runModalities, runName } from '../run';
import { chartedRunIds, selectedModalities, sessionBusy, type LabState } from '../store';
import { glyphMarkup, GLYPH_HEIGHT, GLYPH_WIDTH } from './chartExport';
import { MetricChart } from './MetricChart';
import {
  buildSeries,
  chartBands,
  chartLegend,
  chartNames,
  chartSummary,
  chartTitles,
  CHART_IDS,
  rhoDomain,
  runLegend,
  stabiliseSeries,
  xDomain,
  yTitles,
  type Band,
  type ChartNames,
  type ChartId,
  type ChartRun,
  type LegendItem,
  type Series,
} from './series';

/** B-MM's m and OGM-GE's k both lie in [0, 1]. */
const UNIT_RANGE: [number, number] = [0, 1];

const selectRuns = (s: LabState) => s.runs;
const selectSmoothing = (s: LabState) => s.smoothing;
const selectCharted = (s: LabState) => chartedRunIds(s).join('|');
const selectBusy = (s: LabState) => sessionBusy(s.session) || s.sweep !== null;
const selectSeed = (s: LabState) => s.config.seed;
const selectWarmup = (s: LabState) => s.config.bmm.warmup;

/** A short guide to reading the charts, beside them, the branches called as the charts call them. */
function WhatToLookFor({ warmup, names }: { warmup: number; names: ChartNames }) {
  const { pair } = names;
  const [a, v] = [branchLabel(pair, 'audio'), branchLabel(pair, 'visual')];
  return (
    <details className="what-to-look-for">
      <summary>What to look for</summary>
      <ul>
        <li>
          <b>rho</b> ({rhoFormula(pair)} over the training set): above 1 means {pair ? a : `the ${a}`} is the stronger modality, below 1 {pair ? v : `the ${v}`}. With
          plain training (ERM) on the demo (Audio + RGB) it climbs well above 1 within the first epochs: audio dominates.
        </li>
        <li>
          <b>{capitalised(a)} vs {v} accuracy</b> (each head alone, {a} orange, {v} blue, train solid, test dashed): the
          weaker one is the under-learned modality: with ERM it stays well below what the fused model reaches (on the demo,
          RGB, even when the fused model uses the visual cue).
          {pair ? '' : ' The runs drawn have different modality pairs: each curve is named by its own run\'s.'}
        </li>
        <li>
          <b>B-MM</b> trains like ERM for its warm-up ({warmup} epochs), then mixes the weak modality&rsquo;s input with strength
          m (last chart, at most 0.5 by default; each epoch&rsquo;s marker has the colour of the branch it mixed); the weak
          branch&rsquo;s accuracy then rises and rho moves towards 1. The fused accuracy can dip for two or three epochs while
          the model shifts weight to the weak branch. The warm-up is shaded grey.
        </li>
        <li>
          <b>Compare</b> trains ERM and B-MM with the same seed and settings and draws both here.
        </li>
      </ul>
    </details>
  );
}

function emptyTexts({ pair }: ChartNames): Record<ChartId, string> {
  return {
    loss: 'No loss recorded yet.',
    fused: 'No accuracy recorded yet.',
    modalities: `${capitalised(branchLabel(pair, 'audio'))} and ${branchLabel(pair, 'visual')} accuracy appear after the first epoch.`,
    rho: 'rho appears after the first epoch.',
    mix: 'No mixing coefficient: ERM and MM runs have none; B-MM shows m after its warm-up.',
  };
}

/** The marker and colour of a run in the run key: the same glyph as in the charts. */
function RunKey({ runs }: { runs: readonly ChartRun[] }) {
  return (
    <ul className="run-keys" data-legend aria-label="Runs drawn">
      {runs.map((r) => (
        <li key={r.id} data-run={r.id}>
          <svg
            width={GLYPH_WIDTH}
            height={GLYPH_HEIGHT}
            aria-hidden="true"
            focusable="false"
            data-color={r.color}
            dangerouslySetInnerHTML={{ __html: glyphMarkup({ glyph: 'line', color: r.color, marker: r.marker }) }}
          />
          <span className="legend-text">{r.label}</span>
        </li>
      ))}
    </ul>
  );
}

export function ChartsPanel() {
  const controller = useController();
  const runs = useLab(selectRuns);
  const smoothing = useLab(selectSmoothing);
  const chartedKey = useLab(selectCharted);
  const busy = useLab(selectBusy);
  const seed = useLab(selectSeed);
  const warmup = useLab(selectWarmup);
  const datasetPair = useLab(selectedModalities);

  // Deferred: a burst of batch updates never blocks typing or clicks; charts catch up when idle.
  const deferredRuns = useDeferredValue(runs);
  const chartRuns: ChartRun[] = useMemo(
    () =>
      (chartedKey ? chartedKey.split('|') : [])
        .filter((id) => deferredRuns[id])
        .map((id) => {
          const run = deferredRuns[id];
          return { id, label: runName(run), modalities: runModalities(run), color: colorOfRun(run), marker: markerOfRun(run), config: run.config, epochs: run.epochs, batches: run.batches };
        }),
    [chartedKey, deferredRuns],
  );
  // Per-batch curves are extended, not recomputed over the whole history; charts whose series did not change
  // get the very same arrays back, so their (memoised) charts skip the update.
  const [cache] = useState(() => ({ curves: new BatchCurveCache(), last: null as Record<ChartId, Series[]> | null }));
  const series = useMemo(() => {
    const next = stabiliseSeries(
      cache.last,
      buildSeries(chartRuns, smoothing, (points, key, w) => cache.curves.curve(points, key, w)),
    );
    cache.last = next;
    return next;
  }, [cache, chartRuns, smoothing]);
  // What the charts say beside their curves: legends, bands, run entries of exported images, accessible summaries.
  // Keyed on the warm-ups, labels, colours and series so they stay the same objects while those do.
  const warmups = chartRuns.map((r) => `${r.config.method}:${r.config.bmm.warmup}`).join('|');
  // The branches' names follow the pairs drawn (kept as one object while they stay the same).
  const pairs = chartRuns.map((r) => pairName(r.modalities)).join('|');
  const names = useMemo(() => chartNames(pairs ? pairs.split('|').map((p) => pairFromName(p) as ModalityPair) : [], datasetPair), [pairs, datasetPair]);
  const titles = useMemo(() => chartTitles(names), [names]);
  const axisTitles = useMemo(() => yTitles(names), [names]);
  const empties = useMemo(() => emptyTexts(names), [names]);
  const identities = chartRuns.map((r) => `${r.label}:${r.color}:${r.marker}`).join('|');
  const [rhoLo, rhoHi] = rhoDomain(series.rho);
  const rhoRange = useMemo<[number, number]>(() => [rhoLo, rhoHi], [rhoLo, rhoHi]);
  const bands = useMemo(() => {
    const configs = warmups ? warmups.split('|').map((w) => ({ config: { method: w.split(':')[0], bmm: { warmup: Number(w.split(':')[1]), rhoSmoothing: 0 } } })) : [];
    return Object.fromEntries(CHART_IDS.map((id) => [id, chartBands(id, configs, id === 'rho' ? rhoRange : null, names)])) as Record<ChartId, Band[]>;
  }, [warmups, rhoRange, names]);
  // A chart's legend keeps its identity while its entries stay the same (a batch event must not redraw every chart).
  const [legendCache] = useState(() => new Map<ChartId, { key: string; items: LegendItem[] }>());
  const legends = useMemo(
    () =>
      Object.fromEntries(
        CHART_IDS.map((id) => {
          const items = chartLegend(id, series[id], bands[id], names);
          const key = JSON.stringify(items);
          const prev = legendCache.get(id);
          if (prev && prev.key === key) return [id, prev.items];
          legendCache.set(id, { key, items });
          return [id, items];
        }),
      ) as Record<ChartId, LegendItem[]>,
    [legendCache, series, bands, names],
  );
  const runLegends = useMemo(() => {
    const keys = identities ? identities.split('|').map((k) => k.split(':')) : [];
    const list = keys.map(([label, color, marker]) => ({ label, color, marker: marker as ChartRun['marker'] }));
    return Object.fromEntries(CHART_IDS.map((id) => [id, runLegend(id, list)])) as Record<ChartId, LegendItem[]>;
  }, [identities]);
  const summaries = useMemo(
    () => Object.fromEntries(CHART_IDS.map((id) => [id, chartSummary(id, titles[id], axisTitles[id], series[id], chartRuns)])) as Record<ChartId, string>,
    [series, chartRuns, titles, axisTitles],
  );
  const [x0, x1] = xDomain(
    chartRuns,
    chartRuns.map((r) => deferredRuns[r.id]?.config.epochs ?? 1),
  );
  const domain = useMemo<[number, number]>(() => [x0, x1], [x0, x1]);
  const fileLabel = chartRuns.length === 1 ? runFileLabel(deferredRuns[chartRuns[0].id]) : runsFileLabel(chartRuns.length);
  const drawn = chartRuns.map((r) => deferredRuns[r.id]).filter((r) => r && r.epochs.length > 0);

  const chart = (id: ChartId, extra: { percent?: boolean; yDomain?: [number, number]; referenceY?: number } = {}) => (
    <MetricChart
      id={id}
      title={titles[id]}
      series={series[id]}
      legend={legends[id]}
      runLegend={runLegends[id]}
      bands={bands[id]}
      summary={summaries[id]}
      yTitle={axisTitles[id]}
      xDomain={domain}
      emptyText={empties[id]}
      fileLabel={fileLabel}
      {...extra}
    />
  );

  return (
    <section className="panel charts-panel" aria-label="Training curves">
      <header className="panel-header">
        <h2>Training curves</h2>
        <label className="inline">
          Smoothing
          <input
            type="range"
            min={0}
            max={0.99}
            step={0.01}
            value={smoothing}
            aria-label="Smoothing of per-batch curves"
            onChange={(e) => controller.store.dispatch({ type: 'smoothing/set', value: Number(e.target.value) })}
          />
          <span className="value">{smoothing.toFixed(2)}</span>
        </label>
        <button type="button" disabled={busy} onClick={() => controller.compareErmBmm()} title="Train ERM, then B-MM, with the same seed and settings, and overlay them">
          Compare ERM vs B-MM (seed {seed})
        </button>
        <button
          type="button"
          disabled={drawn.length === 0}
          title="The per-epoch metrics of every run drawn here, one CSV (run id, method, fusion, seed columns first)"
          onClick={() => {
            const file = metricsCsvFile(drawn);
            controller.download(file.name, file.blob);
          }}
        >
          Metrics CSV of the runs drawn{drawn.length > 1 ? ` (${drawn.length})` : ''}
        </button>
      </header>
      {chartRuns.length > 0 && <RunKey runs={chartRuns} />}
      <WhatToLookFor warmup={warmup} names={names} />
      <div className="chart-grid">
        {chart('loss')}
        {chart('fused', { percent: true })}
      </div>
      <h3 className="chart-group-title">Imbalance between the modalities</h3>
      <div className="chart-grid">
        {chart('modalities', { percent: true })}
        {chart('rho', { referenceY: 1, yDomain: rhoRange })}
        {chart('mix', { yDomain: UNIT_RANGE })}
      </div>
    </section>
  );
}
