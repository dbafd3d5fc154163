/**
 * One line chart (recharts): every series on a fractional-epoch x axis with axis titles, markers only on per-epoch
 * points (a bounded number), shaded bands (B-MM's warm-up, the sides of rho = 1), no animation, so it stays fast
 * over long runs; its legend below in HTML (the encodings, once each). Buttons save it as SVG or PNG as it looks.
 * For screen readers the plot is one image named by a summary of what it shows; the SVG itself is no tab stop.
 */
import { memo, useId, useRef, type ReactElement } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceArea, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { downloadBlob } from '../download';
import { exportFileName } from '../exportMetrics';
import { LEGEND_MUTED } from '../palette';
import { chartSvg, DASH, glyphMarkup, GLYPH_HEIGHT, GLYPH_WIDTH, markerPath, svgToPng } from './chartExport';
import { X_TITLE, type Band, type LegendItem, type Series } from './series';
import { useStaggered } from './stagger';

export interface MetricChartProps {
  id: string;
  title: string;
  series: Series[];
  /** The legend on the page: what the line styles, colours, markers and bands mean. */
  legend: LegendItem[];
  /** Added to the legend of an exported image: the runs drawn (on the page, the panel's run key names them). */
  runLegend: LegendItem[];
  bands: Band[];
  /** The accessible name of the plot: what it shows, in words. */
  summary: string;
  yTitle: string;
  xDomain: [number, number];
  /** Accuracy charts: y in [0, 1] shown as percent. */
  percent?: boolean;
  /** Fixed y range (default: [0, 1] for percent charts, else automatic). */
  yDomain?: [number, number];
  /** Draw a horizontal reference line (rho = 1). */
  referenceY?: number;
  /** Shown instead of the plot when there is nothing to draw. */
  emptyText: string;
  /** The `<run-label>` of the exported files' names. */
  fileLabel: string;
}

const percentTick = (v: number) => `${Math.round(v * 100)}%`;
const numberTick = (v: number) => (Math.abs(v) >= 100 || v === 0 ? String(Math.round(v)) : Number(v.toPrecision(3)).toString());
const AXIS_TEXT = '#4b5563';
const PLOT_HEIGHT = 210;

interface DotProps {
  cx?: number;
  cy?: number;
  index?: number;
}

/** The per-epoch markers of a series: its run's shape on every `dotEvery`-th point, filled per point where given. */
function dotRenderer(s: Series): false | ((props: DotProps) => ReactElement) {
  const marker = s.marker;
  if (!marker || s.dotEvery === 0) return false;
  const last = s.points.length - 1;
  return function Dot({ cx, cy, index = 0 }: DotProps) {
    const key = `${s.id}-${index}`;
    // The last point always gets its marker: it is the one a reader looks for.
    if (cx === undefined || cy === undefined || !Number.isFinite(cx) || !Number.isFinite(cy) || (index % s.dotEvery !== 0 && index !== last)) return <g key={key} />;
    const fill = s.pointColors?.[index] ?? s.color;
    return <path key={key} className="chart-marker" d={markerPath(marker, cx, cy, 3)} fill={fill} stroke="#ffffff" strokeWidth={0.8} />;
  };
}

function Legend({ items, title }: { items: LegendItem[]; title: string }) {
  if (items.length === 0) return null;
  return (
    <ul className="chart-legend" data-legend aria-label={`Legend of ${title}`}>
      {items.map((item) => (
        <li key={item.key} data-glyph={item.glyph}>
          <svg width={GLYPH_WIDTH} height={GLYPH_HEIGHT} aria-hidden="true" focusable="false" dangerouslySetInnerHTML={{ __html: glyphMarkup(item) }} />
          <span className="legend-text">{item.label}</span>
        </li>
      ))}
    </ul>
  );
}

function MetricChartImpl(props: MetricChartProps) {
  const { id, title, series, legend, runLegend, bands, summary, yTitle, xDomain, percent = false, yDomain, referenceY, emptyText, fileLabel } = props;
  const box = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const save = async (kind: 'svg' | 'png') => {
    if (!box.current) return;
    const svg = chartSvg(box.current, title, [...legend, ...runLegend]);
    if (!svg) return;
    const blob = kind === 'svg' ? new Blob([svg], { type: 'image/svg+xml' }) : await svgToPng(svg);
    downloadBlob(exportFileName(fileLabel, `chart-${id}`, kind), blob);
  };
  const empty = series.length === 0;
  const bandLabel = (b: Band) => ({ value: b.label, position: (b.axis === 'x' ? 'insideTopLeft' : b.from === 1 ? 'insideTopRight' : 'insideBottomRight') as 'insideTopLeft', fontSize: 10, fill: LEGEND_MUTED });
  return (
    <figure className="chart" data-chart={id} aria-labelledby={titleId}>
      <figcaption>
        <span className="chart-title" id={titleId}>
          {title}
        </span>
        <span className="chart-actions">
          <button type="button" className="small" disabled={empty} aria-label={`Save ${title} as SVG`} onClick={() => void save('svg')}>
            SVG
          </button>
          <button type="button" className="small" disabled={empty} aria-label={`Save ${title} as PNG`} onClick={() => void save('png')}>
            PNG
          </button>
        </span>
      </figcaption>
      <div ref={box} className="chart-box" role="img" aria-label={summary}>
        {/* The chart is drawn even when empty (axes only): its costly first draw happens at page load, not in the
            middle of training when the first points arrive. */}
        {empty && <p className="chart-empty chart-empty-overlay">{emptyText}</p>}
        <ResponsiveContainer width="100%" height={PLOT_HEIGHT}>
          <LineChart margin={{ top: 6, right: 12, bottom: 12, left: 4 }} accessibilityLayer={false} role="presentation">
            <CartesianGrid stroke="#e6e8eb" strokeDasharray="3 3" />
            {bands.map((b) =>
              b.axis === 'x' ? (
                <ReferenceArea key={b.key} className={`band band-${b.key}`} x1={b.from ?? undefined} x2={b.to ?? undefined} fill={b.color} fillOpacity={b.opacity} ifOverflow="hidden" label={bandLabel(b)} />
              ) : (
                <ReferenceArea key={b.key} className={`band band-${b.key}`} y1={b.from ?? undefined} y2={b.to ?? undefined} fill={b.color} fillOpacity={b.opacity} ifOverflow="hidden" label={bandLabel(b)} />
              ),
            )}
            <XAxis
              type="number"
              dataKey="x"
              domain={xDomain}
              allowDecimals={false}
              tick={{ fontSize: 11, fill: AXIS_TEXT }}
              stroke="#8a94a0"
              label={{ value: X_TITLE, position: 'insideBottomRight', offset: -8, fontSize: 11, fill: AXIS_TEXT }}
            />
            <YAxis
              type="number"
              domain={yDomain ?? (percent ? [0, 1] : ['auto', 'auto'])}
              tickFormatter={percent ? percentTick : numberTick}
              tick={{ fontSize: 11, fill: AXIS_TEXT }}
              stroke="#8a94a0"
              width={54}
              label={{ value: yTitle, angle: -90, position: 'insideLeft', offset: 6, fontSize: 11, fill: AXIS_TEXT, style: { textAnchor: 'middle' } }}
            />
            <Tooltip
              isAnimationActive={false}
              labelFormatter={(x) => `epoch ${Number(x).toFixed(2)}`}
              formatter={(v) => (typeof v === 'number' ? (percent ? `${(v * 100).toFixed(1)}%` : v.toPrecision(4)) : String(v))}
            />
            {referenceY !== undefined && <ReferenceLine y={referenceY} stroke={LEGEND_MUTED} strokeDasharray={DASH} ifOverflow="extendDomain" />}
            {series.map((s) => (
              <Line
                key={s.id}
                data={s.points}
                dataKey="y"
                name={s.name}
                type="linear"
                stroke={s.color}
                strokeWidth={s.width}
                strokeOpacity={s.opacity}
                strokeDasharray={s.dashed ? DASH : undefined}
                dot={dotRenderer(s)}
                activeDot={false}
                isAnimationActive={false}
                connectNulls
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <Legend items={legend} title={title} />
    </figure>
  );
}

const MetricChartView = memo(MetricChartImpl);

/**
 * Re-renders only when its props change (the series are kept identical upstream while their points are), and
 * then when its turn comes, one chart at a time (see `useStaggered`).
 */
export const MetricChart = memo(function MetricChart(props: MetricChartProps) {
  const shown = useStaggered(props);
  return <MetricChartView {...shown} />;
});
