/**
 * Actions that change the pose (undoable): place, move, delete a point and
 * cycle its visibility. Points are always in image pixels (`ImagePoint`).
 */
import type { ImagePoint } from '../canvas/geometry';
import {
  currentPose,
  editorCommit,
  isPlaced,
  nextUnplacedNode,
  nextVisibility,
  withPoint,
  withoutPoint,
  type EditorState,
} from '../state';
import { plainKey, type Action } from './types';

/** The node a click places: the active node, else the next unplaced one. */
export function placeTarget(s: EditorState): number | null {
  return s.activeNodeId ?? nextUnplacedNode(s, null);
}

export const placePoint: Action<{ point: ImagePoint }> = {
  name: 'placePoint',
  label: 'Place the active node (then go to the next unplaced node)',
  shortcuts: ['Click image'],
  predicate: (s) => s.editable && placeTarget(s) !== null,
  perform(s, { point }) {
    const nodeId = placeTarget(s);
    if (nodeId === null) return s;
    const old = currentPose(s).points[nodeId];
    const visibility = old && old.visibility !== 0 ? old.visibility : 2;
    const next = editorCommit(s, withPoint(currentPose(s), nodeId, { x: point.x, y: point.y, visibility }));
    return { ...next, activeNodeId: nextUnplacedNode(next, nodeId) };
  },
};

export const movePoint: Action<{ nodeId: number; point: ImagePoint }> = {
  name: 'movePoint',
  label: 'Move a point',
  shortcuts: ['Drag point'],
  predicate: (s, { nodeId }) => s.editable && isPlaced(s, nodeId),
  perform(s, { nodeId, point }) {
    const old = currentPose(s).points[nodeId];
    if (!old) return s;
    const moved = editorCommit(s, withPoint(currentPose(s), nodeId, { ...old, x: point.x, y: point.y }));
    return { ...moved, activeNodeId: nodeId };
  },
};

function cycle(s: EditorState, nodeId: number): EditorState {
  const old = currentPose(s).points[nodeId];
  if (!old) return s;
  return editorCommit(s, withPoint(currentPose(s), nodeId, { ...old, visibility: nextVisibility(old.visibility) }));
}

export const cyclePointVisibility: Action<{ nodeId: number }> = {
  name: 'cyclePointVisibility',
  label: 'Cycle a point’s visibility (visible → occluded → not in frame)',
  shortcuts: ['Right-click point'],
  predicate: (s, { nodeId }) => s.editable && isPlaced(s, nodeId),
  perform: (s, { nodeId }) => cycle(s, nodeId),
};

export const cycleVisibility: Action = {
  name: 'cycleVisibility',
  label: 'Cycle the active node’s visibility (visible → occluded → not in frame)',
  shortcuts: ['V'],
  keyTest: (e) => plainKey(e, 'v'),
  predicate: (s) => s.editable && s.activeNodeId !== null && isPlaced(s, s.activeNodeId),
  perform: (s) => (s.activeNodeId === null ? s : cycle(s, s.activeNodeId)),
};

export const deletePoint: Action = {
  name: 'deletePoint',
  label: 'Delete the active node’s point',
  shortcuts: ['Delete', 'Backspace'],
  keyTest: (e) => plainKey(e, 'Delete', 'Backspace') && !e.shiftKey,
  predicate: (s) => s.editable && s.activeNodeId !== null && isPlaced(s, s.activeNodeId),
  perform: (s) => (s.activeNodeId === null ? s : editorCommit(s, withoutPoint(currentPose(s), s.activeNodeId))),
};
