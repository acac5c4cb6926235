/**
 * Per-frame history, made readable: each LabelHistory row (who, when, action,
 * before/after instances) becomes a point count "before → after" and a list of
 * node changes (added, removed, moved by N px, visibility changed). Pure.
 */
import type { Instance, LabelHistoryRow, Point } from '../../types/api';

export type NodeChangeKind = 'added' | 'removed' | 'moved' | 'visibility';

export interface NodeChange {
  node: number;
  kind: NodeChangeKind;
  from: Point | null;
  to: Point | null;
  /** Pixels moved (kind "moved"). */
  distance: number;
}

export function pointCount(instances: readonly Instance[] | null | undefined): number {
  return (instances ?? []).reduce((n, i) => n + i.points.length, 0);
}

function pointsByNode(instances: readonly Instance[] | null | undefined): Map<number, Point> {
  const human = (instances ?? []).find((i) => i.source === 'human') ?? (instances ?? [])[0];
  return new Map((human?.points ?? []).map((p) => [p.node, p]));
}

/** Node-level changes of the (first human) instance between two saves, in node order of `order`. */
export function diffInstances(
  before: readonly Instance[] | null | undefined,
  after: readonly Instance[] | null | undefined,
  order: readonly number[] = [],
): NodeChange[] {
  const a = pointsByNode(before);
  const b = pointsByNode(after);
  const nodes = [...new Set([...order, ...a.keys(), ...b.keys()])].filter((n) => a.has(n) || b.has(n));
  const out: NodeChange[] = [];
  for (const node of nodes) {
    const from = a.get(node) ?? null;
    const to = b.get(node) ?? null;
    if (!from && to) out.push({ node, kind: 'added', from, to, distance: 0 });
    else if (from && !to) out.push({ node, kind: 'removed', from, to, distance: 0 });
    else if (from && to) {
      const distance = Math.hypot(to.x - from.x, to.y - from.y);
      if (distance > 1e-6) out.push({ node, kind: 'moved', from, to, distance });
      else if (from.visibility !== to.visibility) out.push({ node, kind: 'visibility', from, to, distance: 0 });
    }
  }
  return out;
}

const VIS = { 2: 'visible', 1: 'occluded', 0: 'not in frame' } as const;
const xy = (p: Point) => `(${p.x.toFixed(1)}, ${p.y.toFixed(1)})`;

/** One line per node change, e.g. "snout moved 12.3 px (10.0, 20.0) → (22.0, 23.0)". */
export function describeChange(c: NodeChange, nodeName: (id: number) => string): string {
  const name = nodeName(c.node);
  switch (c.kind) {
    case 'added':
      return `${name} placed at ${xy(c.to!)}`;
    case 'removed':
      return `${name} removed (was ${xy(c.from!)})`;
    case 'moved':
      return `${name} moved ${c.distance.toFixed(1)} px ${xy(c.from!)} → ${xy(c.to!)}`;
    case 'visibility':
      return `${name} ${VIS[c.from!.visibility]} → ${VIS[c.to!.visibility]}`;
  }
}

export interface HistoryLine {
  id: number;
  who: string;
  when: string;
  action: string;
  version: number;
  /** "2 → 3 points"; empty for status changes (submit / approve / reject). */
  counts: string;
  changes: string[];
}

/** History rows newest first, ready to show. */
export function historyLines(
  rows: readonly LabelHistoryRow[],
  nodeName: (id: number) => string,
  order: readonly number[] = [],
  formatTime: (iso: string) => string = (iso) => new Date(iso).toLocaleString(),
): HistoryLine[] {
  return [...rows]
    .sort((x, y) => (x.created_at < y.created_at ? 1 : x.created_at > y.created_at ? -1 : y.id - x.id))
    .map((r) => {
      const isEdit = r.before !== null || r.after !== null;
      return {
        id: r.id,
        who: r.user ?? 'someone',
        when: formatTime(r.created_at),
        action: r.action,
        version: r.version,
        counts: isEdit ? `${pointCount(r.before)} → ${pointCount(r.after)} points` : '',
        changes: isEdit ? diffInstances(r.before, r.after, order).map((c) => describeChange(c, nodeName)) : [],
      };
    });
}
