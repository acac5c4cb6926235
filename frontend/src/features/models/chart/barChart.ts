/**
 * Layout of a horizontal grouped bar chart (one row per node, one bar per
 * series), for the per-node error chart. Pure; the component draws it.
 */

export interface BarRow {
  label: string;
  /** One value per series; null = no value (no bar, "–" label). */
  values: readonly (number | null)[];
}

export interface Bar {
  row: number;
  series: number;
  x: number;
  y: number;
  width: number;
  height: number;
  value: number | null;
}

export interface BarChartModel {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  bars: Bar[];
  rowLabels: { label: string; y: number }[];
  ticks: { value: number; pos: number; label: string }[];
}

export interface BarChartOptions {
  width?: number;
  labelWidth?: number;
  barHeight?: number;
  rowGap?: number;
  top?: number;
  bottom?: number;
  right?: number;
}

/** 1, 2 or 5 × 10^k steps, about `count` of them up to `max`. */
export function barTicks(max: number, count = 5): { max: number; ticks: number[] } {
  if (!(max > 0) || !Number.isFinite(max)) return { max: 1, ticks: [0, 0.5, 1] };
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
  const n = Math.ceil(max / step - 1e-9);
  const ticks = Array.from({ length: n + 1 }, (_, i) => Number((i * step).toPrecision(12)));
  return { max: ticks[ticks.length - 1] ?? max, ticks };
}

const label = (v: number) => String(Number(v.toPrecision(4)));

export function buildBarChart(rows: readonly BarRow[], options: BarChartOptions = {}): BarChartModel {
  const { width = 560, labelWidth = 110, barHeight = 12, rowGap = 8, top = 8, bottom = 28, right = 56 } = options;
  const series = Math.max(1, ...rows.map((r) => r.values.length));
  const rowHeight = series * barHeight + rowGap;
  const height = top + Math.max(1, rows.length) * rowHeight + bottom;
  const plot = { left: labelWidth, top, right: width - right, bottom: height - bottom };
  const values = rows.flatMap((r) => r.values).filter((v): v is number => v != null && Number.isFinite(v));
  const { max, ticks } = barTicks(values.length ? Math.max(...values) : 0);
  const scale = (v: number) => plot.left + (Math.max(0, v) / max) * (plot.right - plot.left);

  const bars: Bar[] = [];
  rows.forEach((row, r) => {
    const y0 = top + r * rowHeight + rowGap / 2;
    row.values.forEach((value, s) => {
      const ok = value != null && Number.isFinite(value);
      bars.push({
        row: r,
        series: s,
        x: plot.left,
        y: y0 + s * barHeight,
        width: ok ? scale(value) - plot.left : 0,
        height: barHeight - 1,
        value: ok ? value : null,
      });
    });
  });

  return {
    width,
    height,
    plot,
    bars,
    rowLabels: rows.map((row, r) => ({ label: row.label, y: top + r * rowHeight + rowGap / 2 + (series * barHeight) / 2 })),
    ticks: ticks.map((v) => ({ value: v, pos: scale(v), label: label(v) })),
  };
}
