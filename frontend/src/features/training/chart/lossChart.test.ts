import { describe, expect, it } from 'vitest';
import type { LossHistoryEntry } from '../../../types/api';
import { buildLossChart, LOSS_CHART_BOX, seriesSegments } from './lossChart';

const h = (stage: string, step: number, train: number | null, val: number | null): LossHistoryEntry => ({
  stage, epoch: null, step, train_loss: train, val_loss: val, elapsed_seconds: null,
});

const history = [
  h('centroid', 100, 0.5, 0.6),
  h('centroid', 200, 0.1, 0.2),
  h('instance', 300, 0.05, null),
  h('instance', 400, 0.01, 0.02),
];

describe('seriesSegments', () => {
  it('splits by stage and skips missing values', () => {
    expect(seriesSegments(history, 'train_loss', false)).toEqual([[[100, 0.5], [200, 0.1]], [[300, 0.05], [400, 0.01]]]);
    expect(seriesSegments(history, 'val_loss', false)).toEqual([[[100, 0.6], [200, 0.2]], [[400, 0.02]]]);
  });

  it('splits when steps go back (a retried job) and drops non-positive values in log mode', () => {
    const retried = [h('centroid', 100, 1, 1), h('centroid', 50, 2, 0), h('centroid', 80, 1, 0.5)];
    expect(seriesSegments(retried, 'val_loss', true)).toEqual([[[100, 1]], [[80, 0.5]]]);
    expect(seriesSegments(retried, 'val_loss', false)).toEqual([[[100, 1]], [[50, 0], [80, 0.5]]]);
  });
});

describe('buildLossChart', () => {
  const { margin, width, height } = LOSS_CHART_BOX;
  const left = margin.left;
  const right = width - margin.right;
  const top = margin.top;
  const bottom = height - margin.bottom;

  it('scales steps from 0 and loss from 0 on a linear axis', () => {
    const c = buildLossChart(history);
    expect(c.xTicks.map((t) => t.value)).toEqual([0, 100, 200, 300, 400]);
    expect(c.xTicks[0]!.pos).toBe(left);
    expect(c.xTicks.at(-1)!.pos).toBe(right);
    expect(c.yTicks[0]).toMatchObject({ value: 0, pos: bottom, label: '0' });
    expect(c.yTicks.at(-1)!.value).toBeCloseTo(0.6);
    expect(c.yTicks.at(-1)!.pos).toBeCloseTo(top);
    // Two stages → two M commands per series.
    expect(c.trainPath.match(/M/g)).toHaveLength(2);
    expect(c.valPath.match(/M/g)).toHaveLength(2);
    expect(c.trainPath.startsWith(`M${left + (right - left) / 4},`)).toBe(true);
    expect(c.trainLast).toEqual({ x: right, y: expect.any(Number) });
    expect(c.stageStarts).toEqual([{ pos: left + ((right - left) * 3) / 4, stage: 'instance' }]);
    expect(c.points).toBe(4);
    expect(c.log).toBe(false);
  });

  it('uses decades on a log axis', () => {
    const c = buildLossChart(history, { log: true });
    expect(c.yTicks.map((t) => t.value)).toEqual([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]);
    expect(c.yTicks[0]!.pos).toBeCloseTo(bottom);
    expect(c.yTicks.at(-1)!.pos).toBeCloseTo(top);
    // 0.1 is half-way between 0.01 and 1.
    expect(c.yTicks.find((t) => t.value === 0.1)!.pos).toBeCloseTo((top + bottom) / 2);
  });

  it('draws nothing but axes for an empty history', () => {
    const c = buildLossChart([]);
    expect(c.trainPath).toBe('');
    expect(c.valPath).toBe('');
    expect(c.trainLast).toBeNull();
    expect(c.points).toBe(0);
    expect(c.xTicks.length).toBeGreaterThan(1);
    expect(buildLossChart([], { log: true }).yTicks.length).toBeGreaterThan(1);
  });

  it('handles a single point', () => {
    const c = buildLossChart([h('centroid', 0, 0.3, 0.4)]);
    expect(c.trainPath).toMatch(/^M[\d.]+,[\d.]+$/);
    expect(c.xTicks[0]!.value).toBe(0);
  });
});
