/**
 * Keyboard placement mode: label a whole skeleton without a mouse.
 *
 * K turns the mode on: a crosshair appears on the active node's point (or the
 * image centre). Arrow keys move it (a coarse step of 1/40 of the shorter image
 * side; Shift+arrow moves 1 pixel), Enter places the active node there and
 * moves on to the next unplaced node (Tab / Shift+Tab pick another node, and
 * the crosshair jumps to that node's point when it has one), V cycles
 * visibility, Delete removes the point, Escape or K leaves the mode. While the
 * mode is on, ← / → move the crosshair instead of changing frames (A / D still
 * change frames).
 */
import {
  currentDoc,
  currentPose,
  editorCommit,
  editorCommitDoc,
  isMultiAnimal,
  nextUnplacedNode,
  withPoint,
  type EditorState,
} from '../state';
import { placeTarget } from './pointActions';
import { plainKey, type Action, type KeyInput } from './types';

const ARROWS: Record<string, { dx: number; dy: number }> = {
  ArrowLeft: { dx: -1, dy: 0 },
  ArrowRight: { dx: 1, dy: 0 },
  ArrowUp: { dx: 0, dy: -1 },
  ArrowDown: { dx: 0, dy: 1 },
};

/** Coarse crosshair step in image pixels: 1/40 of the shorter side, at least 1. */
export function coarseStep(size: { width: number; height: number } | null): number {
  if (!size) return 1;
  return Math.max(1, Math.round(Math.min(size.width, size.height) / 40));
}

/** Keep a point inside the image (pixel centres 0…size−1 may hold sub-pixel values up to size). */
export function clampCrosshair(p: { x: number; y: number }, size: { width: number; height: number } | null) {
  if (!size) return { x: Math.max(0, p.x), y: Math.max(0, p.y) };
  return {
    x: Math.min(Math.max(0, p.x), Math.max(0, size.width - 1)),
    y: Math.min(Math.max(0, p.y), Math.max(0, size.height - 1)),
  };
}

/** Where the crosshair goes for a node: its placed, visible point, else where it already is. */
export function crosshairFor(s: EditorState, nodeId: number | null): EditorState['crosshair'] {
  const p = nodeId === null ? undefined : currentPose(s).points[nodeId];
  if (p && p.visibility !== 0) return { x: p.x, y: p.y };
  if (s.crosshair) return s.crosshair;
  const size = s.frameSize;
  return size ? { x: Math.floor(size.width / 2), y: Math.floor(size.height / 2) } : { x: 0, y: 0 };
}

/** After the active node changed: in keyboard mode the crosshair follows it. */
export function followActive(s: EditorState): EditorState {
  return s.crosshair ? { ...s, crosshair: crosshairFor(s, s.activeNodeId) } : s;
}

export const toggleKeyboardMode: Action = {
  name: 'toggleKeyboardMode',
  label: 'Keyboard placement mode on / off (crosshair, arrows, Enter)',
  short: 'Keyboard mode',
  shortcuts: ['K'],
  keyTest: (e) => plainKey(e, 'k'),
  perform: (s) => ({ ...s, crosshair: s.crosshair ? null : crosshairFor(s, s.activeNodeId) }),
  checked: (s) => s.crosshair !== null,
};

export const leaveKeyboardMode: Action = {
  name: 'leaveKeyboardMode',
  label: 'Leave keyboard placement mode',
  shortcuts: ['Esc'],
  keyTest: (e) => plainKey(e, 'Escape'),
  modal: true,
  predicate: (s) => s.crosshair !== null,
  perform: (s) => ({ ...s, crosshair: null }),
};

export const moveCrosshair: Action<{ dx: number; dy: number; fine: boolean }> = {
  name: 'moveCrosshair',
  label: 'Keyboard mode: move the crosshair (Shift: 1 pixel steps)',
  shortcuts: ['← ↑ → ↓', 'Shift+arrows'],
  keyTest: (e: KeyInput) => !e.ctrlKey && !e.metaKey && !e.altKey && e.key in ARROWS,
  fromKey: (e: KeyInput) => ({ ...(ARROWS[e.key] ?? { dx: 0, dy: 0 }), fine: e.shiftKey }),
  modal: true,
  predicate: (s) => s.crosshair !== null,
  perform(s, { dx, dy, fine }) {
    if (!s.crosshair) return s;
    const step = fine ? 1 : coarseStep(s.frameSize);
    return { ...s, crosshair: clampCrosshair({ x: s.crosshair.x + dx * step, y: s.crosshair.y + dy * step }, s.frameSize) };
  },
};

export const placeAtCrosshair: Action = {
  name: 'placeAtCrosshair',
  label: 'Keyboard mode: place the active node at the crosshair (then the next unplaced node)',
  shortcuts: ['Enter'],
  keyTest: (e) => plainKey(e, 'Enter') && !e.shiftKey,
  modal: true,
  predicate: (s) => s.crosshair !== null && s.editable && placeTarget(s) !== null,
  perform(s) {
    const nodeId = placeTarget(s);
    if (nodeId === null || !s.crosshair) return s;
    const old = currentPose(s).points[nodeId];
    const visibility = old && old.visibility !== 0 ? old.visibility : 2;
    const point = { x: s.crosshair.x, y: s.crosshair.y, visibility };
    const next = editorCommit(s, withPoint(currentPose(s), nodeId, point));
    return followActive({ ...next, activeNodeId: nextUnplacedNode(next, nodeId) });
  },
};

export const copyPrevious: Action = {
  name: 'copyPrevious',
  label: 'Copy the previous labeled frame’s instances onto this frame (undoable)',
  short: 'Copy previous',
  shortcuts: ['C'],
  keyTest: (e) => plainKey(e, 'c'),
  predicate: (s) => s.editable && s.previous !== null && s.previous.instances.length > 0,
  perform(s) {
    if (!s.previous) return s;
    const doc = currentDoc(s);
    const cap = isMultiAnimal(s) ? (s.maxInstances ?? Infinity) : 1;
    // Copies take the place of the frame's instances in order, so saved instances keep their ids.
    const instances = s.previous.instances.slice(0, cap).map((copy, i) => ({
      track: copy.track,
      points: { ...copy.points },
      origin: doc.instances[i]?.origin ?? null,
    }));
    const next = editorCommitDoc(s, { instances }, 0);
    return followActive({ ...next, activeNodeId: nextUnplacedNode(next, null) ?? s.activeNodeId });
  },
};
