/**
 * Grouped curves: for each across-seeds group, the mean over its seeds of a per-epoch number (fused, first or
 * second branch's test accuracy, or rho) as a line, with a band of ± one standard deviation, coloured by method (one
 * colour per method, the same in every group of that method; the line style tells groups of one method apart). The
 * branches are named by the groups' pair ("RGB test accuracy"); groups of several pairs say "first branch" and each
 * group's name carries its pair.
 */
import { useMemo, useState } from 'react';
import { Area, CartesianGrid, ComposedChart, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { METHODS } from '../../core/config';
import { AUDIO_RGB, branchLabel, capitalised, pairLabel, rhoFormula, rhoSide, sharedPair, type ModalityPair } from '../../core/modalities';
import { RUN_COLORS } from '../palette';
import { GLYPH_HEIGHT, GLYPH_WIDTH } from './chartExport';
import type { RunRecord } from '../run';
import { groupLabel } from '../run';
import { groupCurve, type CurveMetric, type RunGroup } from '../runStats';

/** The metrics a grouped curve can follow, the branches named under `pair` (null: groups of several pairs). */
export function curveMetrics(pair: ModalityPair | null): Record<CurveMetric, { label: string; percent: boolean }> {
  return {
    testAcc: { label: 'Fused test accuracy', percent: true },
    audioTest: { label: `${capitalised(branchLabel(pair, 'audio'))} test accuracy`, percent: true },
    visualTest: { label: `${capitalised(branchLabel(pair, 'visual'))} test accuracy`, percent: true },
    rho: { label: `rho (${rhoFormula(pair)}; ${rhoSide(pair, '>')})`, percent: false },
  };
}

const DASHES = ['', '6 3', '2 3', '8 3 2 3'];

/** A method's colour in the grouped curves. */
export function methodColor(method: string): string {
  const i = (METHODS as readonly string[]).indexOf(method);
  return RUN_COLORS[(i < 0 ? 0 : i) % RUN_COLORS.length];
}

export function GroupCurves({ groups, runs }: { groups: RunGroup[]; runs: Readonly<Record<string, RunRecord>> }) {
  const [metric, setMetric] = useState<CurveMetric>('testAcc');
  const pair = sharedPair(groups.map((g) => g.modalities), AUDIO_RGB);
  const metrics = useMemo(() => curveMetrics(pair), [pair]);
  const { data, keys } = useMemo(() => {
    const rows = new Map<number, Record<string, number | [number, number]>>();
    const keys = groups.map((g, i) => {
      const sameMethodBefore = groups.slice(0, i).filter((h) => h.config.method === g.config.method).length;
      const of = pair ? `n = ${g.runIds.length}` : `${pairLabel(g.modalities)}, n = ${g.runIds.length}`;
      return { id: `g${i}`, name: `${groupLabel(g.config, g.modalities)} (${of})`, color: methodColor(g.config.method), dash: DASHES[sameMethodBefore % DASHES.length] };
    });
    groups.forEach((g, i) => {
      for (const p of groupCurve(g, runs, metric)) {
        const row = rows.get(p.epoch) ?? { epoch: p.epoch };
        row[`g${i}`] = p.mean;
        row[`g${i}band`] = [p.low, p.high];
        rows.set(p.epoch, row);
      }
    });
    return { data: [...rows.values()].sort((a, b) => (a.epoch as number) - (b.epoch as number)), keys };
  }, [groups, runs, metric, pair]);
  if (groups.length === 0) return null;
  const m = metrics[metric];
  const fmt = (v: number) => (m.percent ? `${Math.round(v * 100)}%` : v.toFixed(2));
  return (
    <figure className="group-curves" aria-label={`Grouped curves: ${m.label}, mean ± std over seeds of ${groups.length} groups`}>
      <figcaption>
        Mean ± std over seeds, by method{' '}
        <select aria-label="Grouped curves metric" value={metric} onChange={(e) => setMetric(e.target.value as CurveMetric)}>
          {(Object.keys(metrics) as CurveMetric[]).map((k) => (
            <option key={k} value={k}>
              {metrics[k].label}
            </option>
          ))}
        </select>
      </figcaption>
      <div role="img" aria-label={`${m.label} per epoch, mean and ± std band over seeds, one line per group`}>
        <ResponsiveContainer width="100%" height={220}>
          <ComposedChart data={data} margin={{ top: 8, right: 16, bottom: 28, left: 8 }} accessibilityLayer={false} role="presentation">
            <CartesianGrid stroke="#e5e7eb" />
            <XAxis dataKey="epoch" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} label={{ value: 'Epoch', position: 'insideBottom', offset: -12 }} />
            <YAxis domain={m.percent ? [0, 1] : ['auto', 'auto']} tickFormatter={fmt} label={{ value: m.percent ? 'Accuracy' : 'rho', angle: -90, position: 'insideLeft' }} />
            <Tooltip formatter={(v: unknown) => (Array.isArray(v) ? `${fmt(v[0])} – ${fmt(v[1])}` : typeof v === 'number' ? fmt(v) : String(v))} />
            {keys.map((k) => (
              <Area key={`${k.id}band`} dataKey={`${k.id}band`} stroke="none" fill={k.color} fillOpacity={0.15} isAnimationActive={false} legendType="none" name={`${k.name} ± std`} />
            ))}
            {keys.map((k) => (
              <Line key={k.id} dataKey={k.id} name={k.name} stroke={k.color} strokeDasharray={k.dash} dot={false} strokeWidth={2} isAnimationActive={false} />
            ))}
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      {/* The legend in HTML: the glyph carries the method's colour and the group's dash, the text stays dark. */}
      <ul className="chart-legend" data-legend aria-label="Legend of the grouped curves">
        {keys.map((k) => (
          <li key={k.id}>
            <svg width={GLYPH_WIDTH} height={GLYPH_HEIGHT} aria-hidden="true" focusable="false">
              <line x1={1} y1={GLYPH_HEIGHT / 2} x2={GLYPH_WIDTH - 1} y2={GLYPH_HEIGHT / 2} stroke={k.color} strokeWidth={2} strokeDasharray={k.dash || undefined} />
            </svg>
            <span className="legend-text">{k.name}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}
