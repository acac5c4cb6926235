import { describe, expect, it } from 'vitest';
import type { Instance } from '../../types/api';
import { skeleton } from './testFixtures';
import {
  canRedo,
  canUndo,
  editorCommit,
  editorCreate,
  editorInstances,
  editorLoadFrame,
  historyCommit,
  historyCreate,
  historyRedo,
  historyUndo,
  nextUnplacedNode,
  nextVisibility,
  stepNode,
  withPoint,
  withoutPoint,
  currentPose,
} from './state';


describe('history', () => {
  it('undoes and redoes commits', () => {
    let h = historyCreate('a');
    h = historyCommit(h, 'b');
    h = historyCommit(h, 'c');
    h = historyUndo(h);
    expect(h.present).toBe('b');
    expect(canRedo(h)).toBe(true);
    h = historyUndo(historyUndo(h));
    expect(h.present).toBe('a');
    expect(canUndo(h)).toBe(false);
    h = historyRedo(h);
    expect(h.present).toBe('b');
  });

  it('clears redo on a new commit', () => {
    let h = historyCommit(historyCommit(historyCreate(1), 2), 3);
    h = historyCommit(historyUndo(h), 4);
    expect(h.future).toEqual([]);
    expect(h.past).toEqual([1, 2]);
  });

  it('ignores commits of the same object', () => {
    const h = historyCreate({});
    expect(historyCommit(h, h.present)).toBe(h);
  });
});

describe('editor frame load and instances', () => {
  const model: Instance = { id: 7, track: 't1', source: 'model', points: [{ node: 1, x: 1, y: 1, visibility: 2 }] };
  const mine: Instance = {
    id: 9,
    track: null,
    source: 'human',
    points: [
      { node: 2, x: 10.5, y: 20.25, visibility: 1 },
      { node: 99, x: 3, y: 4, visibility: 2 },
    ],
  };

  it('loads the first human instance and activates the first unplaced node', () => {
    const s = editorLoadFrame(editorCreate({ skeleton, frameIndex: 0, frameCount: 10 }), [model, mine]);
    expect(currentPose(s).points).toEqual({ 2: { x: 10.5, y: 20.25, visibility: 1 } });
    expect(s.activeInstance).toBe(0);
    expect(s.history.present.instances.map((i) => i.origin)).toEqual([mine]); // the model instance is not editable
    expect(s.activeNodeId).toBe(1);
  });

  it('writes back other instances untouched and keeps unknown nodes', () => {
    let s = editorLoadFrame(editorCreate({ skeleton, frameIndex: 0, frameCount: 10 }), [model, mine]);
    s = editorCommit(s, withPoint(currentPose(s), 1, { x: 5, y: 6, visibility: 2 }));
    const out = editorInstances(s);
    expect(out[0]).toBe(model);
    expect(out[1]).toEqual({
      id: 9,
      track: null,
      source: 'human',
      points: [
        { node: 1, x: 5, y: 6, visibility: 2 },
        { node: 2, x: 10.5, y: 20.25, visibility: 1 },
        { node: 99, x: 3, y: 4, visibility: 2 },
      ],
    });
  });

  it('appends a new human instance when the frame had none', () => {
    let s = editorLoadFrame(editorCreate({ skeleton, frameIndex: 0, frameCount: 10 }), [model]);
    expect(editorInstances(s)).toEqual([model]);
    s = editorCommit(s, withPoint(currentPose(s), 3, { x: 1, y: 2, visibility: 2 }));
    expect(editorInstances(s)).toEqual([
      model,
      { track: null, source: 'human', points: [{ node: 3, x: 1, y: 2, visibility: 2 }] },
    ]);
  });

  it('drops the edited instance once it has no points', () => {
    const only: Instance = { id: 1, track: null, source: 'human', points: [{ node: 1, x: 0, y: 0, visibility: 2 }] };
    let s = editorLoadFrame(editorCreate({ skeleton, frameIndex: 0, frameCount: 1 }), [model, only]);
    s = editorCommit(s, withoutPoint(currentPose(s), 1));
    expect(editorInstances(s)).toEqual([model]);
  });

  it('does not edit when read-only', () => {
    const s = editorCreate({ skeleton, frameIndex: 0, frameCount: 1, editable: false });
    expect(editorCommit(s, withPoint(currentPose(s), 1, { x: 0, y: 0, visibility: 2 }))).toBe(s);
  });
});

describe('node navigation', () => {
  it('finds the next unplaced node, wrapping, or null', () => {
    let s = editorCreate({ skeleton, frameIndex: 0, frameCount: 1 });
    s = editorCommit(s, withPoint(currentPose(s), 2, { x: 0, y: 0, visibility: 2 }));
    expect(nextUnplacedNode(s, 1)).toBe(3);
    expect(nextUnplacedNode(s, 3)).toBe(1);
    s = editorCommit(s, withPoint(withPoint(currentPose(s), 1, { x: 0, y: 0, visibility: 2 }), 3, { x: 0, y: 0, visibility: 2 }));
    expect(nextUnplacedNode(s, 1)).toBeNull();
  });

  it('steps through nodes in order', () => {
    const s = editorCreate({ skeleton, frameIndex: 0, frameCount: 1 });
    expect(stepNode(s, 3, 1)).toBe(1);
    expect(stepNode(s, 1, -1)).toBe(3);
    expect(stepNode(s, null, 1)).toBe(1);
  });

  it('cycles visibility 2 → 1 → 0 → 2', () => {
    expect([nextVisibility(2), nextVisibility(1), nextVisibility(0)]).toEqual([1, 0, 2]);
  });
});
