import { describe, expect, it } from 'vitest';
import {
  formatTick, linearScale, linearTicks, linePath, logDomain, logScale, logTicks, niceDomain, niceStep,
} from './scale';

describe('niceStep / niceDomain / linearTicks', () => {
  it('picks 1-2-5 steps', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(1, 5)).toBeCloseTo(0.2);
    expect(niceStep(1000, 4)).toBe(200);
    expect(niceStep(7, 10)).toBe(0.5);
    expect(niceStep(900, 4)).toBe(200);
    expect(niceStep(9000, 4)).toBe(2000);
    expect(niceStep(0, 5)).toBe(1);
  });

  it('widens a domain to nice bounds', () => {
    expect(niceDomain(0, 937, 5)).toEqual([0, 1000]);
    expect(niceDomain(0.013, 0.87, 5)).toEqual([0, 1]);
    expect(niceDomain(3, 3)).toEqual([1.5, 4.5]);
    expect(niceDomain(0, 0)).toEqual([0, 1]);
    expect(niceDomain(NaN, 1)).toEqual([0, 1]);
    expect(niceDomain(10, 2)).toEqual([2, 10]);
  });

  it('lists ticks without float noise', () => {
    expect(linearTicks(0, 1000, 5)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(linearTicks(0, 0.3, 3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(linearTicks(0.05, 0.95, 4)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(linearTicks(5, 5)).toEqual([5]);
  });
});

describe('scales', () => {
  it('maps linearly, also onto an inverted range', () => {
    const x = linearScale([0, 100], [10, 210]);
    expect(x(0)).toBe(10);
    expect(x(50)).toBe(110);
    expect(x(100)).toBe(210);
    const y = linearScale([0, 1], [200, 0]);
    expect(y(0)).toBe(200);
    expect(y(0.25)).toBe(150);
    expect(linearScale([3, 3], [0, 10])(3)).toBe(5);
  });

  it('maps decades evenly on a log scale and clamps non-positive values', () => {
    const y = logScale([0.001, 1], [300, 0]);
    expect(y(0.001)).toBeCloseTo(300);
    expect(y(0.01)).toBeCloseTo(200);
    expect(y(0.1)).toBeCloseTo(100);
    expect(y(1)).toBeCloseTo(0);
    expect(y(0)).toBeCloseTo(300);
    expect(() => logScale([0, 1], [0, 1])).toThrow(RangeError);
  });

  it('rounds log domains to whole decades', () => {
    expect(logDomain(0.003, 0.2)).toEqual([0.001, 1]);
    expect(logDomain(0.01, 0.1)).toEqual([0.01, 0.1]);
    expect(logDomain(5, 5)).toEqual([1, 10]);
    expect(logDomain(0, 1)).toEqual([1, 10]);
  });

  it('lists log ticks, with 2 and 5 for short ranges', () => {
    expect(logTicks(0.01, 1)).toEqual([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]);
    expect(logTicks(1e-5, 1)).toEqual([1e-5, 1e-4, 0.001, 0.01, 0.1, 1]);
    expect(logTicks(0, 1)).toEqual([]);
  });
});

describe('formatTick / linePath', () => {
  it('formats tick labels compactly', () => {
    expect(formatTick(0)).toBe('0');
    expect(formatTick(0.25)).toBe('0.25');
    expect(formatTick(1500)).toBe('1500');
    expect(formatTick(0.001)).toBe('0.001');
    expect(formatTick(0.0001)).toBe('1e-4');
    expect(formatTick(2e6)).toBe('2e+6');
    expect(formatTick(0.1 + 0.2)).toBe('0.3');
  });

  it('builds path data with one M per segment and rounded coordinates', () => {
    expect(linePath([[{ x: 0, y: 1 }, { x: 10.123, y: 5.456 }], [], [{ x: 20, y: 3 }]])).toBe('M0,1L10.12,5.46M20,3');
    expect(linePath([])).toBe('');
  });
});
