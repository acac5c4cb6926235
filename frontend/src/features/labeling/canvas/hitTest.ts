/**
 * Hit-testing of keypoints under the pointer, in screen space so the grab
 * radius stays the same at every zoom. Pure.
 */
import { distance, imagePoint, imageToScreen, type ScreenPoint, type Viewport } from './geometry';
import type { PointValue } from '../state';

/** Grab radius in CSS pixels. */
export const HIT_RADIUS = 9;

/**
 * The node whose drawn point is closest to `screen` within `radius`, or null.
 * Points with visibility 0 are not drawn, so they cannot be hit.
 */
export function hitTestPoint(
  points: Readonly<Record<number, PointValue>>,
  screen: ScreenPoint,
  vp: Viewport,
  radius = HIT_RADIUS,
): number | null {
  let best: number | null = null;
  let bestDist = radius;
  for (const [key, p] of Object.entries(points)) {
    if (p.visibility === 0) continue;
    const d = distance(imageToScreen(imagePoint(p.x, p.y), vp), screen);
    if (d <= bestDist) {
      best = Number(key);
      bestDist = d;
    }
  }
  return best;
}
