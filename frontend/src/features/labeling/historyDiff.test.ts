import { describe, expect, it } from 'vitest';
import type { LabelHistoryRow, SavedInstance } from '../../types/api';
import { diffInstances, historyLines, pointCount } from './historyDiff';

const inst = (...pts: [number, number, number, (0 | 1 | 2)?][]): SavedInstance[] => [
  { id: 1, track: null, source: 'human', points: pts.map(([node, x, y, v]) => ({ node, x, y, visibility: v ?? 2 })) },
];

describe('history diff', () => {
  it('lists added, removed, moved and visibility changes per node', () => {
    const changes = diffInstances(inst([1, 0, 0], [2, 5, 5], [3, 1, 1]), inst([1, 3, 4], [2, 5, 5, 1], [4, 9, 9]), [1, 2, 3, 4]);
    expect(changes.map((c) => [c.node, c.kind, c.distance])).toEqual([
      [1, 'moved', 5],
      [2, 'visibility', 0],
      [3, 'removed', 0],
      [4, 'added', 0],
    ]);
    expect(pointCount(inst([1, 0, 0], [2, 0, 0]))).toBe(2);
    expect(pointCount(null)).toBe(0);
  });

  it('describes rows newest first, status changes without counts', () => {
    const rows: LabelHistoryRow[] = [
      { id: 1, user: 'alice', created_at: '2024-01-01T10:00:00Z', action: 'create', version: 1, before: [], after: inst([1, 1, 1]) },
      { id: 2, user: 'bob', created_at: '2024-01-01T10:01:00Z', action: 'update', version: 2, before: inst([1, 1, 1]), after: inst([1, 4, 5]) },
      { id: 3, user: 'rita', created_at: '2024-01-01T10:02:00Z', action: 'reject', version: 2, before: null, after: null },
    ];
    const lines = historyLines(rows, (id) => (id === 1 ? 'snout' : `n${id}`), [1], () => 't');
    expect(lines.map((l) => l.who)).toEqual(['rita', 'bob', 'alice']);
    expect(lines[0]).toMatchObject({ action: 'reject', counts: '', changes: [] });
    expect(lines[1]).toMatchObject({ counts: '1 → 1 points', changes: ['snout moved 5.0 px (1.0, 1.0) → (4.0, 5.0)'] });
    expect(lines[2]!.changes).toEqual(['snout placed at (1.0, 1.0)']);
  });
});
