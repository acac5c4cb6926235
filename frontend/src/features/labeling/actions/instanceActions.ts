/**
 * Several animals on a frame: add an instance (then click its nodes, or stamp
 * the mean pose and drag it), pick the active one (click, Tab, 1–9), move a
 * whole instance, give it a track, delete it. Adding, moving, tracks and
 * deleting are undoable document edits; choosing the active instance is UI state.
 *
 * In a single-animal project (max one instance) these actions are unavailable
 * and Tab keeps picking nodes.
 */
import { circleTemplate, stampPose } from '../meanPose';
import {
  canAddInstance,
  currentDoc,
  editorCommitDoc,
  freeTrack,
  isMultiAnimal,
  nextUnplacedNode,
  type EditorState,
  type InstanceDoc,
} from '../state';
import { followActive } from './keyboardActions';
import { plainKey, type Action, type KeyInput } from './types';

const count = (s: EditorState) => currentDoc(s).instances.length;

/** Make instance `index` active, on its first unplaced node (the node list follows). */
export function activateInstance(s: EditorState, index: number): EditorState {
  const next = { ...s, activeInstance: index, activePrediction: null };
  return followActive({ ...next, activeNodeId: nextUnplacedNode(next, null) ?? s.activeNodeId ?? s.nodeIds[0] ?? null });
}

function addInstanceWith(s: EditorState, points: InstanceDoc['points']): EditorState {
  const doc = currentDoc(s);
  const created: InstanceDoc = { track: freeTrack(s, doc), points, origin: null };
  const next = editorCommitDoc(s, { instances: [...doc.instances, created] }, doc.instances.length);
  return next === s ? s : activateInstance(next, doc.instances.length);
}

const mayAdd = (s: EditorState) => s.editable && isMultiAnimal(s) && canAddInstance(s);

export const addInstance: Action = {
  name: 'addInstance',
  label: 'New instance: click its nodes one by one',
  short: 'New instance',
  shortcuts: ['I'],
  keyTest: (e) => plainKey(e, 'i') && !e.shiftKey,
  predicate: mayAdd,
  perform: (s) => addInstanceWith(s, {}),
};

/** Where a stamp lands: the keyboard crosshair, else the image centre (shifted per instance so stamps do not pile up). */
function stampCentre(s: EditorState): { x: number; y: number } {
  if (s.crosshair) return s.crosshair;
  const w = s.frameSize?.width ?? 400;
  const h = s.frameSize?.height ?? 400;
  const shift = (count(s) % 5) * Math.min(w, h) * 0.06;
  return { x: w / 2 + shift, y: h / 2 + shift };
}

export const stampInstance: Action = {
  name: 'stampInstance',
  label: 'New instance from the mean pose (then Shift+drag it into place)',
  short: 'Stamp mean pose',
  shortcuts: ['Shift+I'],
  keyTest: (e) => plainKey(e, 'i') && e.shiftKey,
  predicate: mayAdd,
  perform(s) {
    const template = s.meanPose ?? circleTemplate(s.nodeIds, s.frameSize);
    return addInstanceWith(s, stampPose(template, stampCentre(s), s.frameSize));
  },
};

export const deleteInstance: Action = {
  name: 'deleteInstance',
  label: 'Delete the active instance (undoable)',
  short: 'Delete instance',
  shortcuts: ['Shift+Delete'],
  keyTest: (e) => plainKey(e, 'Delete', 'Backspace') && e.shiftKey,
  predicate: (s) => s.editable && isMultiAnimal(s) && currentDoc(s).instances[s.activeInstance] !== undefined,
  perform(s) {
    const instances = currentDoc(s).instances.filter((_, i) => i !== s.activeInstance);
    const next = editorCommitDoc(s, { instances }, Math.max(0, s.activeInstance - 1));
    return activateInstance(next, next.activeInstance);
  },
};

/** Click an instance on the canvas or in the list (optionally on one of its nodes). */
export const selectInstance: Action<{ index: number; nodeId?: number | null }> = {
  name: 'selectInstance',
  label: 'Make an instance active',
  shortcuts: ['Click an instance'],
  predicate: (s, { index }) => index >= 0 && index < count(s),
  perform(s, { index, nodeId }) {
    const next = activateInstance(s, index);
    return nodeId == null ? next : followActive({ ...next, activeNodeId: nodeId });
  },
};

function stepInstance(s: EditorState, step: 1 | -1): EditorState {
  const n = count(s);
  return activateInstance(s, (((s.activeInstance + step) % n) + n) % n);
}

const tabKey = (e: KeyInput, shift: boolean) => e.key === 'Tab' && e.shiftKey === shift && !e.ctrlKey && !e.metaKey && !e.altKey;
/** Tab picks instances while several animals are on the frame, except in keyboard mode (there it picks nodes). */
const tabPicksInstances = (s: EditorState) => isMultiAnimal(s) && s.crosshair === null && count(s) > 1;

export const nextInstance: Action = {
  name: 'nextInstance',
  label: 'Next instance (keyboard mode: next node)',
  shortcuts: ['Tab'],
  keyTest: (e) => tabKey(e, false),
  modal: true,
  predicate: tabPicksInstances,
  perform: (s) => stepInstance(s, 1),
};

export const previousInstance: Action = {
  name: 'previousInstance',
  label: 'Previous instance (keyboard mode: previous node)',
  shortcuts: ['Shift+Tab'],
  keyTest: (e) => tabKey(e, true),
  modal: true,
  predicate: tabPicksInstances,
  perform: (s) => stepInstance(s, -1),
};

export const selectInstanceByNumber: Action<{ index: number }> = {
  name: 'selectInstanceByNumber',
  label: 'Make instance 1–9 active',
  shortcuts: ['1 … 9'],
  keyTest: (e) => !e.ctrlKey && !e.metaKey && !e.altKey && /^[1-9]$/.test(e.key),
  fromKey: (e) => ({ index: Number(e.key) - 1 }),
  predicate: (s, p) => isMultiAnimal(s) && p !== undefined && p.index < count(s),
  perform: (s, { index }) => activateInstance(s, index),
};

/** Shift+drag a point: the whole instance moves by (dx, dy) image pixels. */
export const moveInstance: Action<{ index: number; dx: number; dy: number }> = {
  name: 'moveInstance',
  label: 'Move a whole instance',
  shortcuts: ['Shift+drag a point'],
  predicate: (s, { index }) => s.editable && index >= 0 && index < count(s),
  perform(s, { index, dx, dy }) {
    const { width, height } = s.frameSize ?? { width: Infinity, height: Infinity };
    const clamp = (v: number, size: number) => Math.min(Math.max(0, v), size - 1);
    const instances = currentDoc(s).instances.map((inst, i) => {
      if (i !== index) return inst;
      const points: Record<number, InstanceDoc['points'][number]> = {};
      for (const [node, p] of Object.entries(inst.points)) {
        points[Number(node)] = { ...p, x: clamp(p.x + dx, width), y: clamp(p.y + dy, height) };
      }
      return { ...inst, points };
    });
    return { ...editorCommitDoc(s, { instances }, index), activePrediction: null };
  },
};

/** Give an instance a track (identity) from the project's list, or none. */
export const setTrack: Action<{ index: number; track: string | null }> = {
  name: 'setTrack',
  label: 'Set an instance’s track',
  shortcuts: ['Track menu'],
  predicate: (s, { index, track }) =>
    s.editable && index >= 0 && index < count(s) && (track === null || s.tracks.length === 0 || s.tracks.some((t) => t.name === track)),
  perform(s, { index, track }) {
    const instances = currentDoc(s).instances.map((inst, i) => (i === index ? { ...inst, track } : inst));
    return editorCommitDoc(s, { instances }, index);
  },
};
