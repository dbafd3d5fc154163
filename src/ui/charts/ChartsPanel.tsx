/**
 * The six training charts for the live run and the runs ticked for overlay (one colour per run), with the EMA
 * smoothing control of the per-batch curves.
 */
import { useDeferredValue, useMemo, useState } from 'react';
import { BatchCurveCache } from '../chartData';
import { useController, useLab } from '../context';
import { runColor } from '../palette';
import { runLabel } from '../run';
import { chartedRunIds, type LabState } from '../store';
import { MetricChart } from './MetricChart';
import { buildSeries, CHART_TITLES, stabiliseSeries, xDomain, type ChartId, type ChartRun, type Series } from './series';

/** B-MM's m and OGM-GE's k both lie in [0, 1]. */
const UNIT_RANGE: [number, number] = [0, 1];

const selectRuns = (s: LabState) => s.runs;
const selectOrder = (s: LabState) => s.runOrder;
const selectSmoothing = (s: LabState) => s.smoothing;
const selectCharted = (s: LabState) => chartedRunIds(s).join('|');
const selectBusy = (s: LabState) => ['running', 'paused', 'loading'].includes(s.session.state) || s.sweep !== null;
const selectSeed = (s: LabState) => s.config.seed;
const selectWarmup = (s: LabState) => s.config.bmm.warmup;

/** A short guide to reading the charts, beside them. */
function WhatToLookFor({ warmup }: { warmup: number }) {
  return (
    <details className="what-to-look-for">
      <summary>What to look for</summary>
      <ul>
        <li>
          <b>rho</b> (s_audio / s_visual over the training set): above 1 means audio is the stronger modality. With plain
          training (ERM) on the demo it climbs well above 1 within the first epochs: audio dominates.
        </li>
        <li>
          <b>Visual accuracy</b> (the visual head alone) is the under-learned modality: with ERM it stays well below what the
          fused model reaches, even when the fused model uses the visual cue.
        </li>
        <li>
          <b>B-MM</b> trains like ERM for its warm-up ({warmup} epochs), then mixes the weak modality&rsquo;s input with strength
          m (last chart, at most 0.5 by default); its visual accuracy then rises and rho moves towards 1. The fused accuracy
          can dip for two or three epochs while the model shifts weight to the visual branch.
        </li>
        <li>
          <b>Compare</b> trains ERM and B-MM with the same seed and settings and draws both here.
        </li>
      </ul>
    </details>
  );
}

export function ChartsPanel() {
  const controller = useController();
  const runs = useLab(selectRuns);
  const order = useLab(selectOrder);
  const smoothing = useLab(selectSmoothing);
  const chartedKey = useLab(selectCharted);
  const busy = useLab(selectBusy);
  const seed = useLab(selectSeed);
  const warmup = useLab(selectWarmup);

  // Deferred: a burst of batch updates never blocks typing or clicks; charts catch up when idle.
  const deferredRuns = useDeferredValue(runs);
  const chartRuns: ChartRun[] = useMemo(
    () =>
      (chartedKey ? chartedKey.split('|') : [])
        .filter((id) => deferredRuns[id])
        .map((id) => {
          const run = deferredRuns[id];
          return { id, label: runLabel(run.config), color: runColor(order.indexOf(id)), epochs: run.epochs, batches: run.batches };
        }),
    [chartedKey, deferredRuns, order],
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
  const [x0, x1] = xDomain(
    chartRuns,
    chartRuns.map((r) => deferredRuns[r.id]?.config.epochs ?? 1),
  );
  const domain = useMemo<[number, number]>(() => [x0, x1], [x0, x1]);
  const stem = chartRuns.length === 1 ? `bmm-lab_${chartRuns[0].label.replace(/\s+/g, '-')}` : 'bmm-lab_runs';

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
        {chartRuns.length > 1 && (
          <ul className="run-keys" aria-label="Runs drawn">
            {chartRuns.map((r) => (
              <li key={r.id}>
                <span className="swatch" style={{ background: r.color }} />
                {r.label}
              </li>
            ))}
          </ul>
        )}
      </header>
      <WhatToLookFor warmup={warmup} />
      <div className="chart-grid">
        <MetricChart id="loss" title={CHART_TITLES.loss} series={series.loss} xDomain={domain} emptyText="No loss recorded yet." fileStem={stem} />
        <MetricChart id="fused" title={CHART_TITLES.fused} series={series.fused} xDomain={domain} percent emptyText="No accuracy recorded yet." fileStem={stem} />
        <MetricChart id="audio" title={CHART_TITLES.audio} series={series.audio} xDomain={domain} percent emptyText="Audio accuracy appears after the first epoch." fileStem={stem} />
        <MetricChart id="visual" title={CHART_TITLES.visual} series={series.visual} xDomain={domain} percent emptyText="Visual accuracy appears after the first epoch." fileStem={stem} />
        <MetricChart id="rho" title={CHART_TITLES.rho} series={series.rho} xDomain={domain} referenceY={1} emptyText="rho appears after the first epoch." fileStem={stem} />
        <MetricChart
          id="mix"
          title={CHART_TITLES.mix}
          series={series.mix}
          xDomain={domain}
          yDomain={UNIT_RANGE}
          emptyText="No mixing coefficient: ERM and MM runs have none; B-MM shows m after its warm-up."
          fileStem={stem}
        />
      </div>
    </section>
  );
}
