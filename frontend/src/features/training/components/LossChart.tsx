import { useMemo, useState } from 'react';
import type { LossHistoryEntry } from '../../../types/api';
import { buildLossChart } from '../chart/lossChart';

/** Train / val loss against step as inline SVG; re-renders when `history` grows. */
export function LossChart({ history, title }: { history: readonly LossHistoryEntry[]; title: string }) {
  const [log, setLog] = useState(false);
  const chart = useMemo(() => buildLossChart(history, { log }), [history, log]);
  const { box, plot } = chart;
  const midY = (plot.top + plot.bottom) / 2;
  const midX = (plot.left + plot.right) / 2;

  return (
    <figure className="chart loss-chart">
      <figcaption className="chart-head">
        <span>{title}</span>
        <label className="small">
          <input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} data-testid="loss-log-scale" /> log
          scale
        </label>
      </figcaption>
      <svg
        viewBox={`0 0 ${box.width} ${box.height}`}
        width="100%"
        role="img"
        aria-label={`Loss chart: ${title}`}
        data-testid="loss-chart"
        data-points={chart.points}
      >
        <g className="grid">
          {chart.yTicks.map((t) => (
            <line key={`gy${t.value}`} x1={plot.left} x2={plot.right} y1={t.pos} y2={t.pos} />
          ))}
        </g>
        {chart.stageStarts.map((s) => (
          <g key={`stage${s.pos}`} className="stage-mark">
            <line x1={s.pos} x2={s.pos} y1={plot.top} y2={plot.bottom} />
            <text x={s.pos + 4} y={plot.top + 12}>
              {s.stage}
            </text>
          </g>
        ))}
        <g className="axis" data-testid="loss-x-axis">
          <line x1={plot.left} x2={plot.right} y1={plot.bottom} y2={plot.bottom} />
          {chart.xTicks.map((t) => (
            <g key={`x${t.value}`}>
              <line x1={t.pos} x2={t.pos} y1={plot.bottom} y2={plot.bottom + 4} />
              <text x={t.pos} y={plot.bottom + 16} textAnchor="middle">
                {t.label}
              </text>
            </g>
          ))}
          <text x={midX} y={box.height - 4} textAnchor="middle" className="axis-title">
            step
          </text>
        </g>
        <g className="axis" data-testid="loss-y-axis">
          <line x1={plot.left} x2={plot.left} y1={plot.top} y2={plot.bottom} />
          {chart.yTicks.map((t) => (
            <g key={`y${t.value}`}>
              <line x1={plot.left - 4} x2={plot.left} y1={t.pos} y2={t.pos} />
              <text x={plot.left - 6} y={t.pos + 4} textAnchor="end">
                {t.label}
              </text>
            </g>
          ))}
          <text x={12} y={midY} textAnchor="middle" transform={`rotate(-90 12 ${midY})`} className="axis-title">
            loss{chart.log ? ' (log)' : ''}
          </text>
        </g>
        <path className="series-train" d={chart.trainPath} data-testid="loss-train" />
        <path className="series-val" d={chart.valPath} data-testid="loss-val" />
        {chart.trainLast && <circle className="series-train" cx={chart.trainLast.x} cy={chart.trainLast.y} r={3} />}
        {chart.valLast && <circle className="series-val" cx={chart.valLast.x} cy={chart.valLast.y} r={3} />}
        {chart.points === 0 && (
          <text x={midX} y={midY} textAnchor="middle" className="muted-text">
            No validation points yet
          </text>
        )}
        <g className="legend" transform={`translate(${plot.right - 130} ${plot.top + 4})`}>
          <line className="series-train" x1={0} x2={18} y1={6} y2={6} />
          <text x={22} y={10}>
            train
          </text>
          <line className="series-val" x1={64} x2={82} y1={6} y2={6} />
          <text x={86} y={10}>
            val
          </text>
        </g>
      </svg>
    </figure>
  );
}
