import { describe, expect, it } from 'vitest';
import { barTicks, buildBarChart } from './barChart';

describe('barTicks', () => {
  it('rounds the maximum up to a nice step', () => {
    expect(barTicks(9.3)).toEqual({ max: 10, ticks: [0, 2, 4, 6, 8, 10] });
    expect(barTicks(0.42)).toEqual({ max: 0.5, ticks: [0, 0.1, 0.2, 0.3, 0.4, 0.5] });
    expect(barTicks(10)).toEqual({ max: 10, ticks: [0, 2, 4, 6, 8, 10] });
    expect(barTicks(0)).toEqual({ max: 1, ticks: [0, 0.5, 1] });
  });
});

describe('buildBarChart', () => {
  const opts = { width: 400, labelWidth: 100, right: 50, barHeight: 10, rowGap: 10, top: 0, bottom: 20 };

  it('lays out one bar per node, proportional to the value', () => {
    const c = buildBarChart([{ label: 'snout', values: [5] }, { label: 'tail', values: [10] }, { label: 'ear', values: [null] }], opts);
    expect(c.plot).toEqual({ left: 100, top: 0, right: 350, bottom: 60 });
    expect(c.height).toBe(80);
    expect(c.bars.map((b) => b.width)).toEqual([125, 250, 0]);
    expect(c.bars.map((b) => b.y)).toEqual([5, 25, 45]);
    expect(c.bars[2]!.value).toBeNull();
    expect(c.rowLabels.map((r) => r.label)).toEqual(['snout', 'tail', 'ear']);
    expect(c.ticks.at(-1)).toEqual({ value: 10, pos: 350, label: '10' });
  });

  it('groups bars of several series within a row', () => {
    const c = buildBarChart([{ label: 'snout', values: [2, 4] }], opts);
    expect(c.bars).toHaveLength(2);
    expect(c.bars[1]!.y - c.bars[0]!.y).toBe(10);
    expect(c.bars[1]!.width).toBe(250);
    expect(c.height).toBe(0 + 30 + 20);
  });

  it('handles no rows', () => {
    const c = buildBarChart([], opts);
    expect(c.bars).toEqual([]);
    expect(c.ticks.length).toBeGreaterThan(0);
  });
});
