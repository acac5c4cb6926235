import { describe, expect, it } from 'vitest';
import {
  fitViewport,
  imagePoint,
  imageToScreen,
  isInsideImage,
  MAX_SCALE,
  panBy,
  screenPoint,
  screenToImage,
  zoomAt,
  type Viewport,
} from './geometry';

const vp: Viewport = { scale: 2.5, offsetX: 13, offsetY: -7 };

describe('image/screen transforms', () => {
  it('round-trips a sub-pixel image point', () => {
    const p = imagePoint(101.37, 55.125);
    const back = screenToImage(imageToScreen(p, vp), vp);
    expect(back.x).toBeCloseTo(101.37, 10);
    expect(back.y).toBeCloseTo(55.125, 10);
  });

  it('maps screen to image through scale and offset', () => {
    const p = screenToImage(screenPoint(63, 43), vp);
    expect(p.x).toBeCloseTo(20);
    expect(p.y).toBeCloseTo(20);
  });
});

describe('zoomAt', () => {
  it('keeps the image point under the cursor fixed', () => {
    const anchor = screenPoint(200, 150);
    const before = screenToImage(anchor, vp);
    const zoomed = zoomAt(vp, anchor, 1.7);
    const after = screenToImage(anchor, zoomed);
    expect(zoomed.scale).toBeCloseTo(2.5 * 1.7);
    expect(after.x).toBeCloseTo(before.x, 9);
    expect(after.y).toBeCloseTo(before.y, 9);
  });

  it('clamps the scale', () => {
    expect(zoomAt(vp, screenPoint(0, 0), 1e6).scale).toBe(MAX_SCALE);
  });
});

describe('fitViewport', () => {
  it('fits a wide image to the width and centres it vertically', () => {
    const fit = fitViewport({ width: 1000, height: 500 }, { width: 516, height: 516 }, 8);
    expect(fit.scale).toBeCloseTo(0.5);
    expect(fit.offsetX).toBeCloseTo(8);
    expect(fit.offsetY).toBeCloseTo((516 - 250) / 2);
  });

  it('puts the image corners inside the canvas', () => {
    const fit = fitViewport({ width: 640, height: 480 }, { width: 300, height: 900 });
    const br = imageToScreen(imagePoint(640, 480), fit);
    expect(br.x).toBeLessThanOrEqual(300);
    expect(br.y).toBeLessThanOrEqual(900);
  });
});

describe('panBy / isInsideImage', () => {
  it('pans in screen pixels', () => {
    expect(panBy(vp, 5, -5)).toEqual({ scale: 2.5, offsetX: 18, offsetY: -12 });
  });
  it('detects points outside the image', () => {
    expect(isInsideImage(imagePoint(-0.1, 3), { width: 10, height: 10 })).toBe(false);
    expect(isInsideImage(imagePoint(9.9, 3), { width: 10, height: 10 })).toBe(true);
  });
});
