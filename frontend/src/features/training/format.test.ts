import { describe, expect, it } from 'vitest';
import { formatBudget, formatDateTime, formatDuration, formatLoss, formatPercent } from './format';

describe('formatDuration', () => {
  it('formats seconds, minutes and hours', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(44.6)).toBe('45 s');
    expect(formatDuration(59.4)).toBe('59 s');
    expect(formatDuration(60)).toBe('1 min');
    expect(formatDuration(130)).toBe('2 min 10 s');
    expect(formatDuration(3599)).toBe('59 min 59 s');
    expect(formatDuration(3600)).toBe('1 h');
    expect(formatDuration(3900)).toBe('1 h 5 min');
    expect(formatDuration(7 * 3600 + 59 * 60 + 50)).toBe('8 h');
  });

  it('shows a dash for missing or bad values', () => {
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(undefined)).toBe('–');
    expect(formatDuration(-1)).toBe('–');
    expect(formatDuration(Infinity)).toBe('–');
  });
});

describe('other formats', () => {
  it('formats percent, budget, loss and dates', () => {
    expect(formatPercent(0.426)).toBe('42%');
    expect(formatPercent(0.999)).toBe('99%');
    expect(formatPercent(1.2)).toBe('100%');
    expect(formatPercent(-0.1)).toBe('0%');
    expect(formatPercent(NaN)).toBe('–');
    expect(formatBudget(120)).toBe('2 min');
    expect(formatBudget(null)).toBe('no time limit');
    expect(formatLoss(0.000123456)).toBe('0.0001235');
    expect(formatLoss(null)).toBe('–');
    expect(formatDateTime(null)).toBe('–');
    expect(formatDateTime('not a date')).toBe('–');
    expect(formatDateTime('2024-05-01T10:00:00Z')).not.toBe('–');
  });
});
