import { describe, expect, it } from 'vitest';
import { imagePoint } from '../canvas/geometry';
import { currentPose, editorCreate, editorLoadFrame, type EditorState } from '../state';
import { skeleton } from '../testFixtures';
import { cyclePointVisibility, cycleVisibility, deletePoint, movePoint, placePoint } from './pointActions';
import { runAction } from './types';

function fresh(): EditorState {
  return editorLoadFrame(editorCreate({ skeleton, frameIndex: 0, frameCount: 5 }), []);
}

function place(s: EditorState, x: number, y: number): EditorState {
  const r = runAction(placePoint, s, { point: imagePoint(x, y) });
  if (!r) throw new Error('placePoint unavailable');
  return r.state;
}

describe('placePoint', () => {
  it('places the active node at sub-pixel image coordinates and advances', () => {
    const s = place(fresh(), 10.25, 20.75);
    expect(currentPose(s).points[1]).toEqual({ x: 10.25, y: 20.75, visibility: 2 });
    expect(s.activeNodeId).toBe(2);
  });

  it('skips placed nodes when advancing and ends with no active node', () => {
    let s = fresh();
    s = { ...s, activeNodeId: 2 };
    s = place(s, 1, 1); // head
    expect(s.activeNodeId).toBe(3);
    s = place(s, 2, 2); // tail
    expect(s.activeNodeId).toBe(1);
    s = place(s, 3, 3); // nose
    expect(s.activeNodeId).toBeNull();
    expect(runAction(placePoint, s, { point: imagePoint(0, 0) })).toBeNull();
  });

  it('re-places an active node that was already placed, keeping occlusion', () => {
    let s = place(fresh(), 1, 1);
    s = runAction(cyclePointVisibility, s, { nodeId: 1 })!.state;
    s = place({ ...s, activeNodeId: 1 }, 5, 5);
    expect(currentPose(s).points[1]).toEqual({ x: 5, y: 5, visibility: 1 });
  });

  it('is unavailable when read-only', () => {
    const s = { ...fresh(), editable: false };
    expect(runAction(placePoint, s, { point: imagePoint(1, 1) })).toBeNull();
  });
});

describe('movePoint / visibility / delete', () => {
  it('moves a point keeping its visibility and activates it', () => {
    let s = place(fresh(), 1, 1);
    s = runAction(movePoint, s, { nodeId: 1, point: imagePoint(7.5, 8.5) })!.state;
    expect(currentPose(s).points[1]).toEqual({ x: 7.5, y: 8.5, visibility: 2 });
    expect(s.activeNodeId).toBe(1);
    expect(runAction(movePoint, s, { nodeId: 3, point: imagePoint(0, 0) })).toBeNull();
  });

  it('cycles the active node visibility 2 → 1 → 0 → 2', () => {
    let s: EditorState = { ...place(fresh(), 1, 1), activeNodeId: 1 };
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      s = runAction(cycleVisibility, s, undefined)!.state;
      seen.push(currentPose(s).points[1]!.visibility);
    }
    expect(seen).toEqual([1, 0, 2]);
  });

  it('deletes the active node point; undoable through history', () => {
    let s: EditorState = { ...place(fresh(), 1, 1), activeNodeId: 1 };
    s = runAction(deletePoint, s, undefined)!.state;
    expect(currentPose(s).points[1]).toBeUndefined();
    expect(s.history.past.length).toBe(2);
    expect(runAction(deletePoint, s, undefined)).toBeNull();
  });
});
