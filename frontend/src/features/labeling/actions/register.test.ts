import { describe, expect, it } from 'vitest';
import { imagePoint } from '../canvas/geometry';
import { currentPose, editorCreate, editorLoadFrame } from '../state';
import { skeleton } from '../testFixtures';
import { ACTIONS, findKeyAction, placePoint } from './register';
import { runAction, type KeyInput } from './types';

const key = (k: string, mods: Partial<KeyInput> = {}): KeyInput => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});

describe('keyboard shortcuts', () => {
  it.each([
    [key('ArrowRight'), 'nextFrame'],
    [key('d'), 'nextFrame'],
    [key('D', { shiftKey: true }), 'nextFrame'],
    [key('ArrowLeft'), 'previousFrame'],
    [key('a'), 'previousFrame'],
    [key('Tab'), 'nextNode'],
    [key('Tab', { shiftKey: true }), 'previousNode'],
    [key('v'), 'cycleVisibility'],
    [key('Delete'), 'deletePoint'],
    [key('Backspace'), 'deletePoint'],
    [key('z', { ctrlKey: true }), 'undo'],
    [key('Z', { ctrlKey: true, shiftKey: true }), 'redo'],
    [key('y', { ctrlKey: true }), 'redo'],
    [key('z', { metaKey: true }), 'undo'],
    [key('s', { ctrlKey: true }), 'save'],
    [key('f'), 'fitToScreen'],
    [key('F', { shiftKey: true }), 'fitToScreen'],
    [key('?', { shiftKey: true }), 'toggleHelp'],
  ])('%o → %s', (e, name) => {
    expect(findKeyAction(e)?.name).toBe(name);
  });

  it('ignores unbound keys and Ctrl+D', () => {
    expect(findKeyAction(key('q'))).toBeUndefined();
    expect(findKeyAction(key('d', { ctrlKey: true }))).toBeUndefined();
  });

  it('has unique names and a label and shortcut for every action', () => {
    const names = ACTIONS.map((a) => a.name);
    expect(new Set(names).size).toBe(names.length);
    for (const a of ACTIONS) {
      expect(a.label).not.toBe('');
      expect(a.shortcuts.length).toBeGreaterThan(0);
    }
  });
});

describe('frame and history actions', () => {
  const start = () => editorLoadFrame(editorCreate({ skeleton, frameIndex: 0, frameCount: 2 }), []);

  it('stays within the video frames', () => {
    const next = findKeyAction(key('d'))!;
    const prev = findKeyAction(key('a'))!;
    expect(runAction(prev, start(), undefined)).toBeNull();
    const s = runAction(next, start(), undefined)!.state;
    expect(s.frameIndex).toBe(1);
    expect(runAction(next, s, undefined)).toBeNull();
  });

  it('undoes and redoes a placement', () => {
    const placed = runAction(placePoint, start(), { point: imagePoint(4, 4) })!.state;
    const undone = runAction(findKeyAction(key('z', { ctrlKey: true }))!, placed, undefined)!.state;
    expect(currentPose(undone).points[1]).toBeUndefined();
    const redone = runAction(findKeyAction(key('y', { ctrlKey: true }))!, undone, undefined)!.state;
    expect(currentPose(redone).points[1]).toEqual({ x: 4, y: 4, visibility: 2 });
  });

  it('declares save and fit as effects', () => {
    expect(runAction(findKeyAction(key('s', { ctrlKey: true }))!, start(), undefined)?.effect).toBe('save');
    expect(runAction(findKeyAction(key('f'))!, start(), undefined)?.effect).toBe('fit');
  });

  it('toggles the help panel', () => {
    const s = runAction(findKeyAction(key('?'))!, start(), undefined)!.state;
    expect(s.helpOpen).toBe(true);
  });
});
