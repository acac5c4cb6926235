import { describe, expect, it } from 'vitest';
import type { Member, PredictionRange } from '../../types/api';
import {
  assignableUsers,
  acceptBody,
  animalStyles,
  confidenceAlpha,
  defaultChoice,
  frameAnimals,
  meanScore,
  sortSuggestions,
  subscoreBars,
  trackingLabels,
  validateSettings,
  weightShares,
} from './logic';

describe('suggestion ordering and sub-scores', () => {
  it('sorts by score, ties by id', () => {
    expect(sortSuggestions([{ id: 3, score: 0.5 }, { id: 1, score: 0.9 }, { id: 2, score: 0.5 }]).map((s) => s.id)).toEqual([1, 2, 3]);
  });

  it('lists known strategies in a fixed order, then others, clamped', () => {
    expect(subscoreBars({ diversity: 0.2, uncertainty: 1.4, extra: -1, temporal: 0.5 })).toEqual([
      { name: 'uncertainty', value: 1 },
      { name: 'temporal', value: 0.5 },
      { name: 'diversity', value: 0.2 },
      { name: 'extra', value: 0 },
    ]);
  });

  it('labels the reasons that fix tracking only where their sub-score is above 0', () => {
    expect(trackingLabels({ uncertainty: 0.9, swap_candidate: 0, identity_disagreement: 0 })).toEqual([]);
    expect(trackingLabels({ swap_candidate: 1, identity_disagreement: 0.45 }).map((t) => t.label)).toEqual([
      'Swap candidate',
      'Identity disagreement',
    ]);
  });
});

describe('frameAnimals', () => {
  const range: PredictionRange = {
    run: 1, model_version: 1, smoothed: false, node_names: ['a', 'b', 'c', 'd'], node_ids: [10, null, 12, 13], start: 4, stop: 6,
    frames: [
      {
        frame_index: 4,
        instances: [
          { track: 'mouse A', score: 0.8, points: [[1, 2, 0.5], [3, 4, 0.9], [null, null, null], [5, 6, null]] },
          { track: null, score: 0.3, points: [null, [3, 4, 0.9], null, null] }, // only on a node gone from the skeleton
          { track: 'mouse B', score: 0.2, points: [[7, 8, 0.1], null, [9, 9, 0.2], null] },
        ],
      },
      { frame_index: 5, instances: [] },
    ],
  };
  it('maps model nodes to project nodes, skips gone nodes, missing points and animals left without one', () => {
    const animals = frameAnimals(range, 4);
    expect(animals.map((a) => [a.index, a.track, a.score])).toEqual([[0, 'mouse A', 0.8], [1, 'mouse B', 0.2]]);
    expect(animals[0]!.points).toEqual([{ node: 10, x: 1, y: 2, score: 0.5 }, { node: 13, x: 5, y: 6, score: null }]);
    expect(animals[1]!.points.map((p) => p.node)).toEqual([10, 12]);
    expect(frameAnimals(range, 5)).toEqual([]);
    expect(frameAnimals(range, 9)).toEqual([]);
  });
  it('averages scores and maps them to alpha', () => {
    expect(meanScore(frameAnimals(range, 4)[1]!.points)).toBeCloseTo(0.15);
    expect(meanScore([])).toBeNull();
    expect(confidenceAlpha(1)).toBe(1);
    expect(confidenceAlpha(0)).toBe(0.45);
    expect(confidenceAlpha(null)).toBe(0.5);
  });
  it('styles animals by track, names the untracked by position, leaves a lone untracked one plain', () => {
    const tracks = [{ name: 'mouse B', color: '#00ff00' }];
    expect(animalStyles([{ track: 'mouse B' }, { track: null }], tracks)).toEqual([
      { color: '#00ff00', label: 'mouse B' },
      { color: '#ffe082', label: 'Animal 2' },
    ]);
    expect(animalStyles([{ track: null }], tracks)).toEqual([null]);
    expect(animalStyles([{ track: 'mouse B' }], tracks)).toEqual([{ color: '#00ff00', label: 'mouse B' }]);
  });
  it('chooses every animal up to the cap, and sends indices only for a subset', () => {
    expect(defaultChoice(3, null)).toEqual([0, 1, 2]);
    expect(defaultChoice(3, 2)).toEqual([0, 1]);
    expect(acceptBody([0, 1, 2], 3)).toEqual({});
    expect(acceptBody([0], 1)).toEqual({});
    expect(acceptBody([], 0)).toEqual({}); // prediction not loaded: the server takes all
    expect(acceptBody([2, 0, 2], 3)).toEqual({ instances: [0, 2] });
  });
});

describe('assignableUsers', () => {
  const m = (id: number, username: string, role: Member['role']): Member => ({ id, user: { id, username }, role });
  const members = [m(1, 'alice', 'owner'), m(2, 'bob', 'annotator'), m(3, 'rita', 'reviewer'), m(4, 'vic', 'viewer')];
  it('lets reviewers and owners assign any labeler, annotators only themselves', () => {
    expect(assignableUsers(members, 'reviewer', 'rita')).toEqual(['alice', 'bob', 'rita']);
    expect(assignableUsers(members, 'annotator', 'bob')).toEqual(['bob']);
    expect(assignableUsers(members, 'viewer', 'vic')).toEqual([]);
  });
});

describe('active-learning settings', () => {
  const off = { swap_candidate: 0, identity_disagreement: 0, pose_outlier: 0, ensemble_disagreement: 0 };
  const ok = { weights: { uncertainty: 1, disagreement: 0, temporal: 2, diversity: 1, instance_count: 0, ...off }, n_suggestions: 20, min_gap: 10, selection: 'greedy' as const };
  const none = { uncertainty: 0, disagreement: 0, temporal: 0, diversity: 0, instance_count: 0, ...off };
  it('accepts valid settings and explains invalid ones', () => {
    expect(validateSettings(ok)).toBeNull();
    expect(validateSettings({ ...ok, weights: none })).toMatch(/above 0/);
    expect(validateSettings({ ...ok, weights: { ...none, instance_count: 1 } })).toBeNull();
    expect(validateSettings({ ...ok, weights: { ...ok.weights, temporal: -1 } })).toMatch(/≥ 0/);
    expect(validateSettings({ ...ok, weights: { ...ok.weights, instance_count: -1 } })).toMatch(/≥ 0/);
    expect(validateSettings({ ...ok, n_suggestions: 501 })).toMatch(/0 to 500/);
    expect(validateSettings({ ...ok, min_gap: 1.5 })).toMatch(/gap/);
  });
  it('shows weights as shares', () => {
    expect(weightShares(ok.weights)).toEqual({ uncertainty: 25, disagreement: 0, temporal: 50, diversity: 25, instance_count: 0, ...off });
    expect(weightShares({ ...ok.weights, instance_count: 4 })).toEqual({
      uncertainty: 13, disagreement: 0, temporal: 25, diversity: 13, instance_count: 50, ...off,
    });
    expect(weightShares({ ...ok.weights, swap_candidate: 4 })).toMatchObject({ swap_candidate: 50, identity_disagreement: 0 });
    expect(weightShares({})).toEqual(none);
  });
});
