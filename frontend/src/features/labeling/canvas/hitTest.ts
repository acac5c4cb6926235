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

/**
 * The instance (index in `instances`) with a drawn point closest to `screen`
 * within `radius`, and that node; null when none is. Used to pick another
 * animal by clicking it.
 */
export function hitTestInstances(
  instances: readonly { readonly points: Readonly<Record<number, PointValue>> }[],
  screen: ScreenPoint,
  vp: Viewport,
  radius = HIT_RADIUS,
): { index: number; nodeId: number } | null {
  let best: { index: number; nodeId: number; d: number } | null = null;
  instances.forEach((inst, index) => {
    const nodeId = hitTestPoint(inst.points, screen, vp, best?.d ?? radius);
    if (nodeId === null) return;
    const p = inst.points[nodeId]!;
    const d = distance(imageToScreen(imagePoint(p.x, p.y), vp), screen);
    if (!best || d < best.d) best = { index, nodeId, d };
  });
  const hit = best as { index: number; nodeId: number; d: number } | null;
  return hit ? { index: hit.index, nodeId: hit.nodeId } : null;
}
