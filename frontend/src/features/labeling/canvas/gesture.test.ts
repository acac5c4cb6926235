import { describe, expect, it } from 'vitest';
import { screenPoint } from './geometry';
import { gestureEnd, gestureMove, gestureStart } from './gesture';

const down = (x: number, y: number, hitNodeId: number | null = null, extra = {}) =>
  gestureStart({ button: 0, screen: screenPoint(x, y), hitNodeId, spaceHeld: false, editable: true, ...extra });

describe('gestures', () => {
  it('treats a still press on empty space as a click', () => {
    const g = gestureMove(down(10, 10), screenPoint(12, 11)).gesture;
    expect(gestureEnd(g, screenPoint(12, 11))).toEqual({ type: 'click', screen: { x: 10, y: 10 } });
  });

  it('turns a moved press into a pan with deltas', () => {
    const first = gestureMove(down(10, 10), screenPoint(30, 10));
    expect(first.pan).toEqual({ dx: 20, dy: 0 });
    const second = gestureMove(first.gesture, screenPoint(35, 15));
    expect(second.pan).toEqual({ dx: 5, dy: 5 });
    expect(gestureEnd(second.gesture, screenPoint(35, 15))).toBeNull();
  });

  it('drags a hit point and reports the move', () => {
    const g = gestureMove(down(10, 10, 3), screenPoint(50, 60)).gesture;
    expect(gestureEnd(g, screenPoint(50, 60))).toEqual({ type: 'move', nodeId: 3, screen: { x: 50, y: 60 } });
  });

  it('selects a point pressed without moving', () => {
    expect(gestureEnd(down(10, 10, 3), screenPoint(10, 10))).toEqual({ type: 'select', nodeId: 3 });
  });

  it('pans with space held or the middle button, even over a point', () => {
    expect(down(1, 1, 3, { spaceHeld: true }).kind).toBe('pan');
    expect(down(1, 1, 3, { button: 1 }).kind).toBe('pan');
  });

  it('does not drag points when read-only', () => {
    expect(down(1, 1, 3, { editable: false }).kind).toBe('press');
  });
});

describe('whole-instance drag', () => {
  it('Shift+drag on a point moves the instance from the press to the release', () => {
    const g = gestureMove(down(10, 10, 2, { shiftKey: true }), screenPoint(40, 30)).gesture;
    expect(gestureEnd(g, screenPoint(40, 30))).toEqual({ type: 'moveInstance', from: { x: 10, y: 10 }, to: { x: 40, y: 30 } });
    const still = down(10, 10, 2, { shiftKey: true });
    expect(gestureEnd(still, screenPoint(11, 10))).toEqual({ type: 'select', nodeId: 2 });
  });
});
