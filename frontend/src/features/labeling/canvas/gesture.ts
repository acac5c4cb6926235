/**
 * Pointer gestures on the canvas as a small pure state machine:
 * press on empty space → click (place a point) or, once moved past a few
 * pixels, a pan; press on a point → drag (move it); Shift+press on a point →
 * drag the whole instance; middle button or Space+press → pan. The component feeds pointer events in and applies the
 * outcomes; nothing here touches the DOM.
 */
import { distance, type ScreenPoint } from './geometry';

/** Movement (CSS px) below which a press still counts as a click. */
export const CLICK_TOLERANCE = 4;

export type Gesture =
  | { kind: 'idle' }
  | { kind: 'press'; start: ScreenPoint }
  | { kind: 'pan'; last: ScreenPoint }
  | { kind: 'drag'; nodeId: number; start: ScreenPoint; current: ScreenPoint; moved: boolean; whole?: boolean };

export const IDLE: Gesture = { kind: 'idle' };

export interface PointerDown {
  button: number;
  screen: ScreenPoint;
  hitNodeId: number | null;
  spaceHeld: boolean;
  editable: boolean;
  /** Shift held: a press on a point drags its whole instance. */
  shiftKey?: boolean;
}

export function gestureStart(e: PointerDown): Gesture {
  if (e.button === 1 || (e.button === 0 && e.spaceHeld)) return { kind: 'pan', last: e.screen };
  if (e.button !== 0) return IDLE;
  if (e.hitNodeId !== null && e.editable) {
    const whole = e.shiftKey === true;
    return { kind: 'drag', nodeId: e.hitNodeId, start: e.screen, current: e.screen, moved: false, ...(whole ? { whole } : {}) };
  }
  return { kind: 'press', start: e.screen };
}

export interface MoveResult {
  gesture: Gesture;
  /** Screen-space pan to apply to the viewport, if any. */
  pan?: { dx: number; dy: number };
}

export function gestureMove(g: Gesture, screen: ScreenPoint): MoveResult {
  switch (g.kind) {
    case 'press':
      if (distance(g.start, screen) <= CLICK_TOLERANCE) return { gesture: g };
      return { gesture: { kind: 'pan', last: screen }, pan: { dx: screen.x - g.start.x, dy: screen.y - g.start.y } };
    case 'pan':
      return { gesture: { kind: 'pan', last: screen }, pan: { dx: screen.x - g.last.x, dy: screen.y - g.last.y } };
    case 'drag': {
      const moved = g.moved || distance(g.start, screen) > CLICK_TOLERANCE;
      return { gesture: { ...g, current: screen, moved } };
    }
    default:
      return { gesture: g };
  }
}

export type GestureOutcome =
  | { type: 'click'; screen: ScreenPoint }
  | { type: 'move'; nodeId: number; screen: ScreenPoint }
  | { type: 'moveInstance'; from: ScreenPoint; to: ScreenPoint }
  | { type: 'select'; nodeId: number }
  | null;

export function gestureEnd(g: Gesture, screen: ScreenPoint): GestureOutcome {
  if (g.kind === 'press') return { type: 'click', screen: g.start };
  if (g.kind === 'drag') {
    const moved = g.moved || distance(g.start, screen) > CLICK_TOLERANCE;
    if (!moved) return { type: 'select', nodeId: g.nodeId };
    return g.whole ? { type: 'moveInstance', from: g.start, to: screen } : { type: 'move', nodeId: g.nodeId, screen };
  }
  return null;
}
