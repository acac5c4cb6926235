/**
 * A saved frame's instances shown read-only (pure): the review frame draws
 * every instance in its track's colour with its name, and the conflict panel
 * sets their instances next to mine, animal by animal. A frame with one
 * untracked instance keeps the single-animal look (node colours, no name).
 */
import type { Instance, Point, Track } from '../../types/api';
import type { InstanceStyle, PointMap } from './canvas/render';
import { instanceStyle } from './instanceStyle';
import { findMineIndex, pointMap } from './state';

export interface SavedInstanceView {
  /** Index in the frame's instance list. */
  index: number;
  points: PointMap;
  /** Null: the single-animal look. */
  style: InstanceStyle | null;
  source: Instance['source'];
}

/** True when a frame is shown animal by animal (several instances, or a named one). */
export const showsAnimals = (instances: readonly Pick<Instance, 'track'>[]): boolean =>
  instances.length > 1 || instances.some((i) => i.track !== null);

/**
 * Every instance of a saved frame with its style; the first is the one drawn
 * on top: `top` (an index in `instances`, e.g. the one selected) when given,
 * else the first human instance, else the first.
 */
export function savedInstanceViews(
  instances: readonly Instance[],
  nodeIds: readonly number[],
  tracks: readonly Track[],
  top?: number | null,
): SavedInstanceView[] {
  const multi = showsAnimals(instances);
  const views = instances.map((inst, index) => ({
    index,
    points: pointMap(inst.points, nodeIds),
    style: multi ? instanceStyle({ tracks }, inst, index) : null,
    source: inst.source,
  }));
  const first = top != null && top >= 0 && top < views.length ? top : Math.max(0, findMineIndex(instances));
  return views.length ? [views[first]!, ...views.filter((v) => v.index !== first)] : [];
}

/** The node nearest (x, y) among every view's visible points within `reach`; null when none is. */
export function nearestNode(views: readonly { points: PointMap }[], x: number, y: number, reach: number): number | null {
  let best: number | null = null;
  let bestD = reach;
  for (const v of views) {
    for (const [id, p] of Object.entries(v.points)) {
      const d = Math.hypot(p.x - x, p.y - y);
      if (p.visibility !== 0 && d <= bestD) {
        best = Number(id);
        bestD = d;
      }
    }
  }
  return best;
}

/**
 * The instance (its `index`) with a visible point nearest (x, y) within
 * `reach` image pixels; null when none is. A click between two animals picks
 * the one whose nearest body part is closer.
 */
export function nearestInstance(views: readonly { index: number; points: PointMap }[], x: number, y: number, reach: number): number | null {
  let best: number | null = null;
  let bestD = reach;
  for (const v of views) {
    for (const p of Object.values(v.points)) {
      const d = Math.hypot(p.x - x, p.y - y);
      if (p.visibility !== 0 && d <= bestD) {
        best = v.index;
        bestD = d;
      }
    }
  }
  return best;
}

export interface InstancePair {
  /** The animal's name (its track, else "Instance n") and colour; null: a single untracked animal. */
  style: InstanceStyle | null;
  theirs: ReadonlyMap<number, Point> | null;
  mine: ReadonlyMap<number, Point> | null;
}

const byNode = (inst: Instance | undefined): ReadonlyMap<number, Point> | null =>
  inst ? new Map(inst.points.map((p) => [p.node, p])) : null;

/**
 * Their saved instances next to mine: the same track together, then the
 * untracked ones in order; an animal only one side has gets null on the other.
 */
export function pairInstances(theirs: readonly Instance[], mine: readonly Instance[], tracks: readonly Track[]): InstancePair[] {
  const left = [...mine];
  const take = (match: (m: Instance) => boolean): Instance | undefined => {
    const i = left.findIndex(match);
    return i < 0 ? undefined : left.splice(i, 1)[0];
  };
  const pairs: [Instance | undefined, Instance | undefined][] = theirs.map((t) => [t, t.track === null ? undefined : take((m) => m.track === t.track)]);
  for (const pair of pairs) if (pair[0]!.track === null) pair[1] = take((m) => m.track === null);
  pairs.push(...left.map((m): [undefined, Instance] => [undefined, m]));
  const multi = showsAnimals(theirs) || showsAnimals(mine);
  return pairs.map(([t, m], i) => ({
    style: multi ? instanceStyle({ tracks }, { track: t?.track ?? m?.track ?? null }, i) : null,
    theirs: byNode(t),
    mine: byNode(m),
  }));
}
