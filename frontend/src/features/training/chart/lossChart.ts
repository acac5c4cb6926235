/**
 * Geometry of the loss chart: train and val loss against the global step,
 * one polyline segment per training stage (centroid, instance), linear or
 * log y axis. Pure: the React component only draws what this returns.
 */
import type { LossHistoryEntry } from '../../../types/api';
import {
  formatTick, linearScale, linearTicks, linePath, logDomain, logScale, logTicks, niceDomain, type Scale, type XY,
} from './scale';

export interface ChartBox {
  width: number;
  height: number;
  margin: { top: number; right: number; bottom: number; left: number };
}

export const LOSS_CHART_BOX: ChartBox = { width: 640, height: 260, margin: { top: 12, right: 16, bottom: 36, left: 56 } };

export interface Tick {
  value: number;
  /** Pixel position along the axis. */
  pos: number;
  label: string;
}

export interface LossChartModel {
  box: ChartBox;
  /** Plot area in pixels. */
  plot: { left: number; top: number; right: number; bottom: number };
  xTicks: Tick[];
  yTicks: Tick[];
  /** SVG path data ('' when the series has no points). */
  trainPath: string;
  valPath: string;
  /** Last point of each series, for a marker. */
  trainLast: XY | null;
  valLast: XY | null;
  /** x position and name where a new stage starts (not the first). */
  stageStarts: { pos: number; stage: string }[];
  /** Number of history points drawn. */
  points: number;
  /** True when log scale was asked for and used. */
  log: boolean;
}

type SeriesKey = 'train_loss' | 'val_loss';

const usable = (v: number | null | undefined, log: boolean): v is number =>
  typeof v === 'number' && Number.isFinite(v) && (!log || v > 0);

/**
 * Splits history into runs of one stage with non-decreasing steps (a retried
 * job may restart its steps); returns the [step, value] points per run.
 */
export function seriesSegments(history: readonly LossHistoryEntry[], key: SeriesKey, log: boolean): [number, number][][] {
  const segments: [number, number][][] = [];
  let current: [number, number][] = [];
  let prev: LossHistoryEntry | undefined;
  for (const entry of history) {
    if (prev && (entry.stage !== prev.stage || entry.step < prev.step)) {
      if (current.length) segments.push(current);
      current = [];
    }
    prev = entry;
    const value = entry[key];
    if (usable(value, log) && Number.isFinite(entry.step)) current.push([entry.step, value]);
  }
  if (current.length) segments.push(current);
  return segments;
}

export function buildLossChart(
  history: readonly LossHistoryEntry[],
  options: { log?: boolean; box?: ChartBox } = {},
): LossChartModel {
  const box = options.box ?? LOSS_CHART_BOX;
  const plot = {
    left: box.margin.left,
    top: box.margin.top,
    right: box.width - box.margin.right,
    bottom: box.height - box.margin.bottom,
  };
  const log = options.log ?? false;
  const train = seriesSegments(history, 'train_loss', log);
  const val = seriesSegments(history, 'val_loss', log);
  const all = [...train.flat(), ...val.flat()];

  const steps = all.map(([s]) => s);
  const values = all.map(([, v]) => v);
  const maxStep = steps.length ? Math.max(...steps) : 1;
  const xDomain = niceDomain(0, maxStep, 5);
  const x = linearScale(xDomain, [plot.left, plot.right]);

  let y: Scale;
  let yTickValues: number[];
  if (log) {
    const domain = logDomain(values.length ? Math.min(...values) : 1, values.length ? Math.max(...values) : 10);
    y = logScale(domain, [plot.bottom, plot.top]);
    yTickValues = logTicks(domain[0], domain[1]);
  } else {
    const domain = niceDomain(Math.min(0, ...values), values.length ? Math.max(...values) : 1, 5);
    y = linearScale(domain, [plot.bottom, plot.top]);
    yTickValues = linearTicks(domain[0], domain[1], 5);
  }

  const toXY = (segments: [number, number][][]) => segments.map((seg) => seg.map(([s, v]) => ({ x: x(s), y: y(v) })));
  const trainXY = toXY(train);
  const valXY = toXY(val);
  const last = (segs: XY[][]) => segs.at(-1)?.at(-1) ?? null;

  const stageStarts: { pos: number; stage: string }[] = [];
  history.forEach((entry, i) => {
    const prev = history[i - 1];
    if (prev && entry.stage !== prev.stage && Number.isFinite(entry.step)) {
      stageStarts.push({ pos: x(entry.step), stage: entry.stage });
    }
  });

  return {
    box,
    plot,
    xTicks: linearTicks(xDomain[0], xDomain[1], 5).map((v) => ({ value: v, pos: x(v), label: formatTick(v) })),
    yTicks: yTickValues.map((v) => ({ value: v, pos: y(v), label: formatTick(v) })),
    trainPath: linePath(trainXY),
    valPath: linePath(valXY),
    trainLast: last(trainXY),
    valLast: last(valXY),
    stageStarts,
    points: history.length,
    log,
  };
}
