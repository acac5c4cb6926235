/**
 * The skeleton's mean pose, for stamping a new instance that is then dragged
 * into place (pure). Learned from the labeled instances: each is centred on
 * its centroid and the offsets are averaged per node; without labels the
 * nodes sit on a small circle.
 */
import type { PointValue } from './state';

/** Node id → offset from the instance centre, in image pixels. */
export type PoseTemplate = Readonly<Record<number, { dx: number; dy: number }>>;

type PointMap = Readonly<Record<number, PointValue>>;

function centroid(points: PointMap): { x: number; y: number } | null {
  const placed = Object.values(points).filter((p) => p.visibility !== 0);
  if (!placed.length) return null;
  const x = placed.reduce((a, p) => a + p.x, 0) / placed.length;
  const y = placed.reduce((a, p) => a + p.y, 0) / placed.length;
  return { x, y };
}

/** Mean offsets of every node seen in `poses` (visible or occluded points only); null when no pose has two points. */
export function meanPoseTemplate(poses: readonly PointMap[], nodeIds: readonly number[]): PoseTemplate | null {
  const sums = new Map<number, { dx: number; dy: number; n: number }>();
  for (const pose of poses) {
    const c = centroid(pose);
    if (!c || Object.keys(pose).length < 2) continue;
    for (const node of nodeIds) {
      const p = pose[node];
      if (!p || p.visibility === 0) continue;
      const acc = sums.get(node) ?? { dx: 0, dy: 0, n: 0 };
      sums.set(node, { dx: acc.dx + p.x - c.x, dy: acc.dy + p.y - c.y, n: acc.n + 1 });
    }
  }
  if (!sums.size) return null;
  const out: Record<number, { dx: number; dy: number }> = {};
  for (const [node, { dx, dy, n }] of sums) out[node] = { dx: dx / n, dy: dy / n };
  return out;
}

/** Every node on a circle (radius 1/10 of the shorter image side), in display order. */
export function circleTemplate(nodeIds: readonly number[], frameSize: { width: number; height: number } | null): PoseTemplate {
  const radius = Math.max(10, Math.min(frameSize?.width ?? 400, frameSize?.height ?? 400) / 10);
  const out: Record<number, { dx: number; dy: number }> = {};
  nodeIds.forEach((node, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, nodeIds.length) - Math.PI / 2;
    out[node] = { dx: radius * Math.cos(a), dy: radius * Math.sin(a) };
  });
  return out;
}

/** The template placed at `centre`, clamped into the image; every point visible. */
export function stampPose(
  template: PoseTemplate,
  centre: { x: number; y: number },
  frameSize: { width: number; height: number } | null,
): Record<number, PointValue> {
  const clamp = (v: number, size: number | undefined) => (size === undefined ? Math.max(0, v) : Math.min(Math.max(0, v), size - 1));
  const out: Record<number, PointValue> = {};
  for (const [node, { dx, dy }] of Object.entries(template)) {
    out[Number(node)] = { x: clamp(centre.x + dx, frameSize?.width), y: clamp(centre.y + dy, frameSize?.height), visibility: 2 };
  }
  return out;
}
