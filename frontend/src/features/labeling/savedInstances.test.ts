import { describe, expect, it } from 'vitest';
import type { Instance } from '../../types/api';
import { nearestInstance, nearestNode, pairInstances, savedInstanceViews, showsAnimals } from './savedInstances';

const tracks = [
  { id: 1, name: 'mouse A', color: '#ff7f0e' },
  { id: 2, name: 'mouse B', color: '#1f77b4' },
];
const inst = (track: string | null, x: number, source: Instance['source'] = 'human'): Instance => ({
  track,
  source,
  points: [
    { node: 1, x, y: 10, visibility: 2 },
    { node: 2, x: x + 5, y: 20, visibility: 2 },
  ],
});

describe('savedInstanceViews', () => {
  it('keeps the single-animal look for one untracked instance', () => {
    const [only, ...rest] = savedInstanceViews([inst(null, 1)], [1, 2], tracks);
    expect(only!.style).toBeNull();
    expect(only!.points[2]).toEqual({ x: 6, y: 20, visibility: 2 });
    expect(rest).toEqual([]);
    expect(savedInstanceViews([], [1, 2], tracks)).toEqual([]);
  });

  it('styles every instance by its track, the first human one on top', () => {
    const views = savedInstanceViews([inst('mouse B', 1, 'model'), inst('mouse A', 50), inst(null, 90)], [1], tracks);
    expect(views.map((v) => [v.index, v.style?.label, v.style?.color, v.source])).toEqual([
      [1, 'mouse A', '#ff7f0e', 'human'],
      [0, 'mouse B', '#1f77b4', 'model'],
      [2, 'Instance 3', '#b39ddb', 'human'], // untracked: a neutral colour by position
    ]);
    expect(Object.keys(views[0]!.points)).toEqual(['1']); // only the skeleton's nodes
    expect(showsAnimals([{ track: 'mouse A' }])).toBe(true);
  });

  it('picks the nearest visible node of any instance', () => {
    const views = savedInstanceViews([inst('mouse A', 0), inst('mouse B', 100)], [1, 2], tracks);
    expect(nearestNode(views, 104, 19, 10)).toBe(2);
    expect(nearestNode(views, 1, 11, 10)).toBe(1);
    expect(nearestNode(views, 300, 300, 10)).toBeNull();
  });

  it('picks the instance with the nearest visible point, and draws a chosen one on top', () => {
    const views = savedInstanceViews([inst('mouse A', 0), inst('mouse B', 100)], [1, 2], tracks, 1);
    expect(views.map((v) => v.index)).toEqual([1, 0]);
    expect(nearestInstance(views, 104, 19, 10)).toBe(1);
    expect(nearestInstance(views, 4, 12, 10)).toBe(0);
    expect(nearestInstance(views, 50, 15, 10)).toBeNull(); // between them, out of reach of both
    expect(savedInstanceViews([inst('mouse A', 0)], [1], tracks, 5).map((v) => v.index)).toEqual([0]); // out of range: default
  });
});

describe('pairInstances', () => {
  it('pairs a single-animal frame into one unnamed comparison', () => {
    const pairs = pairInstances([inst(null, 1)], [inst(null, 2)], tracks);
    expect(pairs).toHaveLength(1);
    expect(pairs[0]!.style).toBeNull();
    expect([pairs[0]!.theirs!.get(1)!.x, pairs[0]!.mine!.get(1)!.x]).toEqual([1, 2]);
  });

  it('pairs the same track, then untracked in order, and shows what only one side has', () => {
    const theirs = [inst('mouse A', 1), inst(null, 2), inst('mouse B', 3)];
    const mine = [inst(null, 20), inst('mouse A', 10), inst(null, 30)];
    const pairs = pairInstances(theirs, mine, tracks);
    expect(pairs.map((p) => [p.style?.label, p.theirs?.get(1)?.x ?? null, p.mine?.get(1)?.x ?? null])).toEqual([
      ['mouse A', 1, 10],
      ['Instance 2', 2, 20],
      ['mouse B', 3, null],
      ['Instance 4', null, 30],
    ]);
    expect(pairs[0]!.style!.color).toBe('#ff7f0e');
  });
});
