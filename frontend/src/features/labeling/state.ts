/**
 * Editor state of the labeling tool, and its undo history. Pure: no React, no I/O.
 *
 * Flow: the page loads a frame's instances → `editorLoadFrame` picks the one
 * human instance we edit (first `source: "human"` instance) and keeps every
 * other instance untouched in `base` → actions produce new states → when the
 * pose changed, `editorInstances` rebuilds the full `instances` list to PUT.
 *
 * Only the pose (`PoseDoc`) is undoable; the active node, help panel and frame
 * index are UI state and live beside the history, not inside it.
 */
import type { Instance, Point, Skeleton, Visibility } from '../../types/api';
import type { FramePredictionState } from './prediction';

/** One labeled keypoint in image pixels. */
export interface PointValue {
  x: number;
  y: number;
  visibility: Visibility;
}

/** The pose being edited: node id → point. A missing node is "not labeled". */
export interface PoseDoc {
  readonly points: Readonly<Record<number, PointValue>>;
}

export interface History<T> {
  readonly past: readonly T[];
  readonly present: T;
  readonly future: readonly T[];
}

export const HISTORY_LIMIT = 200;

export function historyCreate<T>(present: T): History<T> {
  return { past: [], present, future: [] };
}

/** Record `next` as a new present; clears redo. No-op when `next` is the present. */
export function historyCommit<T>(h: History<T>, next: T): History<T> {
  if (next === h.present) return h;
  const past = [...h.past, h.present];
  return { past: past.slice(-HISTORY_LIMIT), present: next, future: [] };
}

export function historyUndo<T>(h: History<T>): History<T> {
  const prev = h.past[h.past.length - 1];
  if (prev === undefined) return h;
  return { past: h.past.slice(0, -1), present: prev, future: [h.present, ...h.future] };
}

export function historyRedo<T>(h: History<T>): History<T> {
  const [next, ...rest] = h.future;
  if (next === undefined) return h;
  return { past: [...h.past, h.present], present: next, future: rest };
}

export const canUndo = <T>(h: History<T>) => h.past.length > 0;
export const canRedo = <T>(h: History<T>) => h.future.length > 0;

/** Server instances around the one we edit; written back as they came. */
export interface FrameBase {
  /** The instances of the frame as loaded (or as last replaced). */
  readonly instances: readonly Instance[];
  /** Index in `instances` of the human instance we edit, or -1 if none yet. */
  readonly mineIndex: number;
  /** Points of the edited instance whose node is not in the skeleton (kept as is). */
  readonly foreignPoints: readonly Point[];
}

export interface EditorState {
  /** Skeleton node ids in display order. */
  readonly nodeIds: readonly number[];
  readonly history: History<PoseDoc>;
  readonly base: FrameBase;
  readonly activeNodeId: number | null;
  readonly frameIndex: number;
  /** Number of frames in the video; null while unknown. */
  readonly frameCount: number | null;
  readonly helpOpen: boolean;
  /** False for viewers and while someone else holds the frame lock: the pose cannot be edited. */
  readonly editable: boolean;
  /** The user may label in this project (annotator+), whatever the lock says. */
  readonly canLabel: boolean;
  /** Image size in pixels (video width/height); bounds the keyboard crosshair. */
  readonly frameSize: { readonly width: number; readonly height: number } | null;
  /** Keyboard placement mode: the crosshair in image pixels; null when the mode is off. */
  readonly crosshair: { readonly x: number; readonly y: number } | null;
  /** Points of the nearest earlier labeled frame's human instance ("copy previous"). */
  readonly previous: { readonly frameIndex: number; readonly points: Readonly<Record<number, PointValue>> } | null;
  readonly historyOpen: boolean;
  /** The model's prediction for the current frame (null: none, or not loaded yet). */
  readonly prediction: FramePredictionState | null;
  /** Whether the prediction layer is drawn (P). */
  readonly predictionsShown: boolean;
}

const EMPTY_DOC: PoseDoc = { points: {} };
const EMPTY_BASE: FrameBase = { instances: [], mineIndex: -1, foreignPoints: [] };

export function editorCreate(opts: {
  skeleton: Skeleton;
  frameIndex: number;
  frameCount: number | null;
  editable?: boolean;
  canLabel?: boolean;
  frameSize?: { width: number; height: number } | null;
}): EditorState {
  const nodeIds = opts.skeleton.nodes.map((n) => n.id);
  return {
    nodeIds,
    history: historyCreate(EMPTY_DOC),
    base: EMPTY_BASE,
    activeNodeId: nodeIds[0] ?? null,
    frameIndex: opts.frameIndex,
    frameCount: opts.frameCount,
    helpOpen: false,
    editable: opts.editable ?? true,
    canLabel: opts.canLabel ?? opts.editable ?? true,
    frameSize: opts.frameSize ?? null,
    crosshair: null,
    previous: null,
    historyOpen: false,
    prediction: null,
    predictionsShown: true,
  };
}

export const currentPose = (s: EditorState): PoseDoc => s.history.present;

export const isPlaced = (s: EditorState, nodeId: number): boolean =>
  currentPose(s).points[nodeId] !== undefined;

/** Index of the instance we edit: the first human instance. */
export function findMineIndex(instances: readonly Instance[]): number {
  return instances.findIndex((i) => i.source === 'human');
}

/**
 * Replace the frame content (after a load, "take theirs", or a restored draft).
 * Resets undo history and activates the first unplaced node.
 */
export function editorLoadFrame(s: EditorState, instances: readonly Instance[], frameIndex = s.frameIndex): EditorState {
  const mineIndex = findMineIndex(instances);
  const mine = instances[mineIndex];
  const known = new Set(s.nodeIds);
  const points: Record<number, PointValue> = {};
  const foreignPoints: Point[] = [];
  for (const p of mine?.points ?? []) {
    if (known.has(p.node)) points[p.node] = { x: p.x, y: p.y, visibility: p.visibility };
    else foreignPoints.push(p);
  }
  const loaded: EditorState = {
    ...s,
    frameIndex,
    history: historyCreate({ points }),
    base: { instances: [...instances], mineIndex, foreignPoints },
  };
  return { ...loaded, activeNodeId: nextUnplacedNode(loaded, null) ?? s.nodeIds[0] ?? null };
}

/** Commit a new pose to the history (no-op for viewers). */
export function editorCommit(s: EditorState, pose: PoseDoc): EditorState {
  if (!s.editable) return s;
  return { ...s, history: historyCommit(s.history, pose) };
}

export function withPoint(pose: PoseDoc, nodeId: number, value: PointValue): PoseDoc {
  return { points: { ...pose.points, [nodeId]: value } };
}

export function withoutPoint(pose: PoseDoc, nodeId: number): PoseDoc {
  const points = { ...pose.points };
  delete points[nodeId];
  return { points };
}

/** Visibility cycle used by right-click and "v": 2 → 1 → 0 → 2. */
export function nextVisibility(v: Visibility): Visibility {
  return v === 2 ? 1 : v === 1 ? 0 : 2;
}

/**
 * The first unplaced node after `afterNodeId` in display order (wrapping), or
 * null when every node is placed. With `afterNodeId` null, search from the start.
 */
export function nextUnplacedNode(s: EditorState, afterNodeId: number | null): number | null {
  const ids = s.nodeIds;
  const start = afterNodeId === null ? 0 : ids.indexOf(afterNodeId) + 1;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[(start + k) % ids.length];
    if (id !== undefined && !isPlaced(s, id)) return id;
  }
  return null;
}

/** The node after (step=1) or before (step=-1) `nodeId` in display order, wrapping. */
export function stepNode(s: EditorState, nodeId: number | null, step: 1 | -1): number | null {
  const n = s.nodeIds.length;
  if (n === 0) return null;
  if (nodeId === null) return s.nodeIds[step === 1 ? 0 : n - 1] ?? null;
  const i = s.nodeIds.indexOf(nodeId);
  return s.nodeIds[(i + step + n) % n] ?? null;
}

/** Points of the edited instance, in skeleton order, followed by foreign points. */
export function posePoints(s: EditorState): Point[] {
  const pose = currentPose(s);
  const points: Point[] = [];
  for (const node of s.nodeIds) {
    const p = pose.points[node];
    if (p) points.push({ node, x: p.x, y: p.y, visibility: p.visibility });
  }
  return [...points, ...s.base.foreignPoints];
}

/**
 * The full `instances` list to PUT: every loaded instance unchanged, except
 * the edited human instance, which gets the current points. A new human
 * instance (track null) is appended when there was none; an edited instance
 * left with no points is dropped.
 */
export function editorInstances(s: EditorState): Instance[] {
  const points = posePoints(s);
  const { instances, mineIndex } = s.base;
  const mine = instances[mineIndex];
  if (!mine) {
    return points.length ? [...instances, { track: null, source: 'human', points }] : [...instances];
  }
  const out = [...instances];
  if (points.length) out[mineIndex] = { ...mine, points };
  else out.splice(mineIndex, 1);
  return out;
}

/** The human instance of a frame as a point map (for "copy previous"). */
export function humanPointMap(instances: readonly Instance[] | undefined, nodeIds: readonly number[]): Record<number, PointValue> {
  const mine = instances?.[findMineIndex(instances)];
  const known = new Set(nodeIds);
  const points: Record<number, PointValue> = {};
  for (const p of mine?.points ?? []) {
    if (known.has(p.node)) points[p.node] = { x: p.x, y: p.y, visibility: p.visibility };
  }
  return points;
}

/**
 * The nearest labeled frame before `frameIndex` whose human instance has points,
 * from the video's labeled-frame list; null when there is none.
 */
export function previousLabeledPose(
  frames: readonly { frame_index: number; instances?: readonly Instance[] }[],
  frameIndex: number,
  nodeIds: readonly number[],
): EditorState['previous'] {
  let best: EditorState['previous'] = null;
  for (const f of frames) {
    if (f.frame_index >= frameIndex || (best && f.frame_index <= best.frameIndex)) continue;
    const points = humanPointMap(f.instances, nodeIds);
    if (Object.keys(points).length) best = { frameIndex: f.frame_index, points };
  }
  return best;
}
