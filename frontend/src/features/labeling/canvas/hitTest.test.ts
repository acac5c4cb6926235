import { describe, expect, it } from 'vitest';
import { screenPoint } from './geometry';
import { hitTestPoint } from './hitTest';

const vp = { scale: 2, offsetX: 10, offsetY: 10 };
const points = {
  1: { x: 10, y: 10, visibility: 2 as const }, // screen (30, 30)
  2: { x: 14, y: 10, visibility: 1 as const }, // screen (38, 30)
  3: { x: 50, y: 50, visibility: 0 as const }, // screen (110, 110), hidden
};

describe('hitTestPoint', () => {
  it('returns the closest point within the radius', () => {
    expect(hitTestPoint(points, screenPoint(31, 30), vp)).toBe(1);
    expect(hitTestPoint(points, screenPoint(36, 31), vp)).toBe(2);
  });

  it('returns null when nothing is close', () => {
    expect(hitTestPoint(points, screenPoint(80, 80), vp)).toBeNull();
  });

  it('skips points that are not in frame', () => {
    expect(hitTestPoint(points, screenPoint(110, 110), vp)).toBeNull();
  });

  it('uses a screen-space radius independent of zoom', () => {
    const zoomed = { scale: 20, offsetX: 0, offsetY: 0 };
    expect(hitTestPoint(points, screenPoint(200 + 8, 200), zoomed)).toBe(1);
    expect(hitTestPoint(points, screenPoint(200 + 12, 200), zoomed)).toBeNull();
  });
});
