/**
 * One line chart (recharts): every series on a fractional-epoch x axis, no dot per batch point and no
 * animation, so it stays fast over long runs. Buttons save it as SVG or PNG.
 */
import { memo, useRef } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { downloadBlob } from '../download';
import { chartSvg, svgToPng } from './chartExport';
import type { Series } from './series';
import { useStaggered } from './stagger';

export interface MetricChartProps {
  id: string;
  title: string;
  series: Series[];
  xDomain: [number, number];
  /** Accuracy charts: y in [0, 1] shown as percent. */
  percent?: boolean;
  /** Fixed y range (default: [0, 1] for percent charts, else automatic). */
  yDomain?: [number, number];
  /** Draw a horizontal reference line (rho = 1). */
  referenceY?: number;
  /** Shown instead of the plot when there is nothing to draw. */
  emptyText: string;
  fileStem: string;
}

const percentTick = (v: number) => `${Math.round(v * 100)}%`;
const numberTick = (v: number) => (Math.abs(v) >= 100 || v === 0 ? String(Math.round(v)) : Number(v.toPrecision(3)).toString());

function MetricChartImpl({ id, title, series, xDomain, percent = false, yDomain, referenceY, emptyText, fileStem }: MetricChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const legend = series.map((s) => ({ name: s.name, color: s.color, dashed: s.dashed }));
  const save = async (kind: 'svg' | 'png') => {
    if (!box.current) return;
    const svg = chartSvg(box.current, title, legend);
    if (!svg) return;
    const blob = kind === 'svg' ? new Blob([svg], { type: 'image/svg+xml' }) : await svgToPng(svg);
    downloadBlob(`${fileStem}_${id}.${kind}`, blob);
  };
  const empty = series.length === 0;
  return (
    <figure className="chart" data-chart={id}>
      <figcaption>
        <span className="chart-title">{title}</span>
        <span className="chart-actions">
          <button type="button" className="small" disabled={empty} aria-label={`Save ${title} as SVG`} onClick={() => void save('svg')}>
            SVG
          </button>
          <button type="button" className="small" disabled={empty} aria-label={`Save ${title} as PNG`} onClick={() => void save('png')}>
            PNG
          </button>
        </span>
      </figcaption>
      <div ref={box} className="chart-box">
        {/* The chart is drawn even when empty (axes only): its costly first draw happens at page load, not in the
            middle of training when the first points arrive. */}
        {empty && <p className="chart-empty chart-empty-overlay">{emptyText}</p>}
        <ResponsiveContainer width="100%" height={210}>
          <LineChart margin={{ top: 6, right: 12, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="#e6e8eb" strokeDasharray="3 3" />
            <XAxis type="number" dataKey="x" domain={xDomain} allowDecimals={false} tick={{ fontSize: 11, fill: '#555' }} stroke="#999" />
            <YAxis
              type="number"
              domain={yDomain ?? (percent ? [0, 1] : ['auto', 'auto'])}
              tickFormatter={percent ? percentTick : numberTick}
              tick={{ fontSize: 11, fill: '#555' }}
              stroke="#999"
              width={44}
            />
            <Tooltip
              isAnimationActive={false}
              labelFormatter={(x) => `epoch ${Number(x).toFixed(2)}`}
              formatter={(v) => (typeof v === 'number' ? (percent ? `${(v * 100).toFixed(1)}%` : v.toPrecision(4)) : String(v))}
            />
            <Legend wrapperStyle={{ fontSize: 11 }} />
            {referenceY !== undefined && <ReferenceLine y={referenceY} stroke="#555" strokeDasharray="4 4" ifOverflow="extendDomain" />}
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
                strokeDasharray={s.dashed ? '5 3' : undefined}
                dot={s.dots ? { r: 2.2, strokeWidth: 1 } : false}
                activeDot={false}
                isAnimationActive={false}
                connectNulls
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
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
