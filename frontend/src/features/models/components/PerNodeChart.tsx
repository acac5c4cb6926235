import { useMemo } from 'react';
import { buildBarChart, type BarRow } from '../chart/barChart';

export interface Series {
  name: string;
  className: string;
}

/** Horizontal bars of per-node RMSE (px); one bar per series and node. */
export function PerNodeChart({ rows, series, testId = 'per-node-chart' }: { rows: BarRow[]; series: Series[]; testId?: string }) {
  const chart = useMemo(() => buildBarChart(rows), [rows]);
  const { plot } = chart;
  if (rows.length === 0) return (
      <p className="muted" data-testid={testId}>
        No per-node errors (no validation frames).
      </p>
    );
  return (
    <svg
      className="chart bar-chart"
      viewBox={`0 0 ${chart.width} ${chart.height}`}
      width="100%"
      style={{ maxWidth: chart.width }}
      role="img"
      aria-label="Per-node RMSE in pixels"
      data-testid={testId}
    >
      <g className="grid">
        {chart.ticks.map((t) => (
          <line key={`g${t.value}`} x1={t.pos} x2={t.pos} y1={plot.top} y2={plot.bottom} />
        ))}
      </g>
      {chart.rowLabels.map((r) => (
        <text key={`l${r.label}`} x={plot.left - 6} y={r.y + 4} textAnchor="end">
          {r.label}
        </text>
      ))}
      {chart.bars.map((b) => (
        <g key={`${b.row}-${b.series}`} data-node={rows[b.row]?.label}>
          <rect className={series[b.series]?.className} x={b.x} y={b.y} width={b.width} height={b.height}>
            <title>
              {rows[b.row]?.label} ({series[b.series]?.name}): {b.value == null ? 'no value' : `${b.value.toFixed(2)} px`}
            </title>
          </rect>
          <text x={b.x + b.width + 4} y={b.y + b.height - 2} className="bar-value">
            {b.value == null ? '–' : b.value.toFixed(2)}
          </text>
        </g>
      ))}
      <g className="axis">
        <line x1={plot.left} x2={plot.right} y1={plot.bottom} y2={plot.bottom} />
        {chart.ticks.map((t) => (
          <g key={`t${t.value}`}>
            <line x1={t.pos} x2={t.pos} y1={plot.bottom} y2={plot.bottom + 4} />
            <text x={t.pos} y={plot.bottom + 16} textAnchor="middle">
              {t.label}
            </text>
          </g>
        ))}
        <text x={plot.right + 6} y={plot.bottom + 16} className="axis-title">
          px
        </text>
      </g>
      {series.length > 1 && (
        <g className="legend" transform={`translate(${plot.left} ${chart.height - 4})`}>
          {series.map((s, i) => (
            <g key={s.name} transform={`translate(${120 + i * 90} 0)`}>
              <rect className={s.className} x={0} y={-9} width={12} height={9} />
              <text x={16} y={0}>
                {s.name}
              </text>
            </g>
          ))}
        </g>
      )}
    </svg>
  );
}
