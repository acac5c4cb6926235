import { describe, expect, it } from 'vitest';
import type { Skeleton } from '../../types/api';
import {
  addNode, addPair, fromSkeleton, isDirty, moveNode, pairProblem, previewLayout, removedNodes, removeNode,
  suggestSymmetries, toPut, updateNode, validate,
} from './model';

const sk: Skeleton = {
  nodes: [
    { id: 1, name: 'snout', color: '#ff0000' },
    { id: 2, name: 'left_ear', color: '#00ff00' },
    { id: 3, name: 'right_ear', color: '#0000ff' },
  ],
  edges: [[1, 2], [1, 3]],
  symmetries: [],
};

describe('skeleton draft', () => {
  it('round-trips a saved skeleton unchanged', () => {
    const d = fromSkeleton(sk);
    expect(isDirty(d, sk)).toBe(false);
    expect(toPut(d)).toEqual({
      nodes: sk.nodes,
      edges: [[1, 2], [1, 3]],
      symmetries: [],
    });
  });

  it('refers to new nodes by name and keeps ids of kept nodes', () => {
    let d = addNode(fromSkeleton(sk), 'tail');
    const tail = d.nodes[3]!;
    d = addPair(d, 'edges', 'n1', tail.key);
    d = moveNode(d, tail.key, -1);
    d = updateNode(d, 'n1', { name: ' nose ' });
    expect(toPut(d)).toEqual({
      nodes: [
        { id: 1, name: 'nose', color: '#ff0000' },
        { id: 2, name: 'left_ear', color: '#00ff00' },
        { name: 'tail', color: tail.color },
        { id: 3, name: 'right_ear', color: '#0000ff' },
      ],
      edges: [[1, 2], [1, 3], [1, 'tail']],
      symmetries: [],
    });
    expect(isDirty(d, sk)).toBe(true);
  });

  it('removing a node drops its pairs and is reported as a deletion', () => {
    const d = removeNode(addPair(fromSkeleton(sk), 'symmetries', 'n2', 'n3'), 'n2');
    expect(d.edges).toEqual([['n1', 'n3']]);
    expect(d.symmetries).toEqual([]);
    expect(removedNodes(d, sk).map((n) => n.name)).toEqual(['left_ear']);
  });

  it('validates names and pairs', () => {
    const d = fromSkeleton(sk);
    expect(validate(updateNode(d, 'n2', { name: 'snout' }))).toEqual(['Node names must be unique ("snout" is used twice).']);
    expect(validate(updateNode(d, 'n2', { name: ' ' }))).toEqual(['Every node needs a name.']);
    expect(pairProblem(d, 'edges', 'n2', 'n1')).toBe('That edge exists already.');
    expect(pairProblem(d, 'edges', 'n2', 'n2')).toBe('Pick two different nodes.');
    const paired = addPair(d, 'symmetries', 'n2', 'n3');
    expect(pairProblem(paired, 'symmetries', 'n1', 'n2')).toBe('A node can be in one left/right pair only.');
  });

  it('suggests left/right pairs from names', () => {
    let d = addNode(addNode(addNode(fromSkeleton(sk), 'paw_L'), 'paw_R'), 'tail');
    const suggestions = suggestSymmetries(d).map(([a, b]) => [d.nodes.find((n) => n.key === a)!.name, d.nodes.find((n) => n.key === b)!.name]);
    expect(suggestions).toEqual([['left_ear', 'right_ear'], ['paw_L', 'paw_R']]);
    d = addPair(d, 'symmetries', 'n2', 'n3');
    expect(suggestSymmetries(d)).toHaveLength(1);
  });

  it('lays pairs out mirrored in the preview', () => {
    const d = addPair(fromSkeleton(sk), 'symmetries', 'n2', 'n3');
    const pos = previewLayout(d, 300, 300);
    const l = pos.get('n2')!;
    const r = pos.get('n3')!;
    expect(l.y).toBe(r.y);
    expect(l.x + r.x).toBeCloseTo(300);
  });
});
