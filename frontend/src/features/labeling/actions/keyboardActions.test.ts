import { describe, expect, it } from 'vitest';
import { currentPose, editorCreate, editorLoadFrame, previousLabeledPose, type EditorState } from '../state';
import { skeleton } from '../testFixtures';
import { clampCrosshair, coarseStep } from './keyboardActions';
import { findKeyAction } from './register';
import { runAction, type KeyInput } from './types';

const key = (k: string, mods: Partial<KeyInput> = {}): KeyInput => ({
  key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods,
});

function fresh(): EditorState {
  return editorLoadFrame(
    editorCreate({ skeleton, frameIndex: 3, frameCount: 10, frameSize: { width: 160, height: 120 } }),
    [],
  );
}

/** Run the action bound to a key, as the page does (state-aware lookup, payload from the key). */
function press(s: EditorState, k: string, mods: Partial<KeyInput> = {}): EditorState {
  const e = key(k, mods);
  const action = findKeyAction(e, s);
  if (!action) return s;
  return runAction(action, s, action.fromKey?.(e))?.state ?? s;
}

describe('keyboard placement mode', () => {
  it('steps by 1/40 of the shorter side (at least 1 px) and clamps to the image', () => {
    expect(coarseStep({ width: 160, height: 120 })).toBe(3);
    expect(coarseStep({ width: 1920, height: 1080 })).toBe(27);
    expect(coarseStep({ width: 20, height: 10 })).toBe(1);
    expect(clampCrosshair({ x: -5, y: 500 }, { width: 160, height: 120 })).toEqual({ x: 0, y: 119 });
  });

  it('labels a whole skeleton with K, arrows and Enter only', () => {
    let s = press(fresh(), 'k');
    expect(s.crosshair).toEqual({ x: 80, y: 60 });
    s = press(s, 'Enter');
    s = press(press(s, 'ArrowLeft'), 'ArrowUp', { shiftKey: true });
    expect(s.crosshair).toEqual({ x: 77, y: 59 });
    s = press(s, 'Enter');
    s = press(s, 'ArrowDown');
    s = press(s, 'Enter');
    expect(currentPose(s).points).toEqual({
      1: { x: 80, y: 60, visibility: 2 },
      2: { x: 77, y: 59, visibility: 2 },
      3: { x: 77, y: 62, visibility: 2 },
    });
    expect(s.activeNodeId).toBeNull();
    expect(s.frameIndex).toBe(3); // arrows did not change frames while the mode was on
  });

  it('gives the arrows back to frame navigation outside the mode', () => {
    const off = fresh();
    expect(findKeyAction(key('ArrowRight'), off)?.name).toBe('nextFrame');
    const on = press(off, 'k');
    expect(findKeyAction(key('ArrowRight'), on)?.name).toBe('moveCrosshair');
    expect(findKeyAction(key('Enter'), off)).toBeUndefined();
    expect(press(on, 'Escape').crosshair).toBeNull();
  });

  it('moves the crosshair onto a placed node when Tab selects it, and re-places it', () => {
    let s = press(fresh(), 'k');
    s = press(s, 'Enter'); // nose at (80, 60), head active
    s = press(s, 'Tab', { shiftKey: true }); // back to nose
    expect(s.activeNodeId).toBe(1);
    s = press(s, 'ArrowRight');
    expect(s.crosshair).toEqual({ x: 83, y: 60 });
    s = press(s, 'Enter');
    expect(currentPose(s).points[1]).toEqual({ x: 83, y: 60, visibility: 2 });
  });

  it('refuses to place when read-only', () => {
    const s = press({ ...fresh(), editable: false }, 'k');
    expect(press(s, 'Enter')).toBe(s);
  });
});

describe('copy previous', () => {
  const frames = [
    { frame_index: 0, instances: [{ track: null, source: 'human' as const, points: [{ node: 1, x: 1, y: 1, visibility: 2 as const }] }] },
    { frame_index: 2, instances: [{ track: null, source: 'human' as const, points: [{ node: 2, x: 5, y: 6, visibility: 1 as const }, { node: 9, x: 0, y: 0, visibility: 2 as const }] }] },
    { frame_index: 4, instances: [{ track: null, source: 'human' as const, points: [{ node: 3, x: 9, y: 9, visibility: 2 as const }] }] },
    { frame_index: 1 },
  ];

  it('finds the nearest earlier labeled frame, ignoring unknown nodes', () => {
    expect(previousLabeledPose(frames, 3, [1, 2, 3])).toEqual({
      frameIndex: 2,
      instances: [{ track: null, points: { 2: { x: 5, y: 6, visibility: 1 } } }],
    });
    expect(previousLabeledPose(frames, 0, [1, 2, 3])).toBeNull();
  });

  it('copies it onto the frame as one undoable step (C)', () => {
    const s0 = { ...fresh(), previous: previousLabeledPose(frames, 3, [1, 2, 3]) };
    const s = press(s0, 'c');
    expect(currentPose(s).points).toEqual({ 2: { x: 5, y: 6, visibility: 1 } });
    expect(currentPose(press(s, 'z', { ctrlKey: true })).points).toEqual({});
    expect(findKeyAction(key('c'), fresh())?.predicate?.(fresh(), undefined)).toBe(false);
  });
});

describe('team shortcuts', () => {
  it('binds N, Ctrl+Enter and H', () => {
    const s = fresh();
    expect(runAction(findKeyAction(key('n'), s)!, s, undefined)?.effect).toBe('nextForMe');
    expect(runAction(findKeyAction(key('Enter', { ctrlKey: true }), s)!, s, undefined)?.effect).toBe('submit');
    expect(press(s, 'h').historyOpen).toBe(true);
    expect(runAction(findKeyAction(key('n'), s)!, { ...s, canLabel: false }, undefined)).toBeNull();
  });
});
