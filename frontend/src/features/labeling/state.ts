/**
 * Editor state of the labeling tool, and its undo history. Pure: no React, no I/O.
 *
 * Flow: the page loads a frame's instances → `editorLoadFrame` makes every
 * human instance editable (`FrameDoc`) and keeps the others (model instances)
 * untouched in `base` → actions produce new states → when the document
 * changed, `editorInstances` rebuilds the full `instances` list to PUT.
 *
 * Several animals: the document holds one `InstanceDoc` per animal and the
 * state names the active one (`activeInstance`). Point actions work on the
 * active instance through `currentPose` / `editorCommit`, so single-animal
 * editing is the case of one instance, not a separate path.
 *
 * Only the document is undoable; the active instance and node, help panel and
 * frame index are UI state and live beside the history, not inside it.
 */
import type { Instance, Point, Skeleton, Track, Visibility } from '../../types/api';
import type { PoseTemplate } from './meanPose';
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

/** One editable animal on the frame. */
export interface InstanceDoc {
  /** Track (identity) name from the project's list; null: not assigned. */
  readonly track: string | null;
  readonly points: Readonly<Record<number, PointValue>>;
  /**
   * The loaded server instance this one edits (its id and the points of nodes
   * no longer in the skeleton are written back); null for a new instance.
   */
  readonly origin: Instance | null;
}

/** The undoable content of a frame: its editable (human) instances, in order. */
export interface FrameDoc {
  readonly instances: readonly InstanceDoc[];
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

/** The frame's instances as loaded (or as last replaced); the non-human ones are written back as they came. */
export interface FrameBase {
  readonly instances: readonly Instance[];
}

export interface EditorState {
  /** Skeleton node ids in display order. */
  readonly nodeIds: readonly number[];
  readonly history: History<FrameDoc>;
  readonly base: FrameBase;
  /** Index in the document of the instance point actions edit (may point past the end: none yet). */
  readonly activeInstance: number;
  /** Animals a frame may hold (null: unknown). 1 is the single-animal workspace. */
  readonly maxInstances: number | null;
  /** The project's track list, in order (empty: no list, any name goes). */
  readonly tracks: readonly Track[];
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
  /** The human instances of the nearest earlier labeled frame ("copy previous"). */
  readonly previous: PreviousFrame | null;
  readonly historyOpen: boolean;
  /** The model's prediction for the current frame (null: none, or not loaded yet). */
  readonly prediction: FramePredictionState | null;
  /** Whether the prediction layer is drawn (P). */
  readonly predictionsShown: boolean;
  /** The predicted instance picked in the prediction bar (U uses it); null: U uses every predicted instance. */
  readonly activePrediction: number | null;
  /** The skeleton's mean pose from the labels so far (null: none yet); "stamp" places it. */
  readonly meanPose: PoseTemplate | null;
}

export interface PreviousFrame {
  readonly frameIndex: number;
  readonly instances: readonly { readonly track: string | null; readonly points: Readonly<Record<number, PointValue>> }[];
}

const EMPTY_POINTS: Readonly<Record<number, PointValue>> = Object.freeze({});
const EMPTY_DOC: FrameDoc = { instances: [] };
const EMPTY_BASE: FrameBase = { instances: [] };

export function editorCreate(opts: {
  skeleton: Skeleton;
  frameIndex: number;
  frameCount: number | null;
  editable?: boolean;
  canLabel?: boolean;
  frameSize?: { width: number; height: number } | null;
  maxInstances?: number | null;
  tracks?: readonly Track[];
}): EditorState {
  const nodeIds = opts.skeleton.nodes.map((n) => n.id);
  return {
    nodeIds,
    history: historyCreate(EMPTY_DOC),
    base: EMPTY_BASE,
    activeInstance: 0,
    maxInstances: opts.maxInstances === undefined ? 1 : opts.maxInstances,
    tracks: opts.tracks ?? [],
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
    activePrediction: null,
    meanPose: null,
  };
}

/** Several animals per frame (or an unknown number): the instance tools are shown. */
export const isMultiAnimal = (s: Pick<EditorState, 'maxInstances'>): boolean => s.maxInstances !== 1;

export const currentDoc = (s: EditorState): FrameDoc => s.history.present;

/** The instance point actions edit; undefined when the frame has none yet. */
export const activeInstanceDoc = (s: EditorState): InstanceDoc | undefined =>
  s.history.present.instances[s.activeInstance];

/** The active instance's pose (empty when there is none yet: the first placed point creates it). */
export const currentPose = (s: EditorState): PoseDoc => ({ points: activeInstanceDoc(s)?.points ?? EMPTY_POINTS });

export const isPlaced = (s: EditorState, nodeId: number): boolean =>
  currentPose(s).points[nodeId] !== undefined;

/** Whether another instance may be added (the project's cap, when known). */
export const canAddInstance = (s: EditorState): boolean =>
  s.maxInstances === null || currentDoc(s).instances.length < s.maxInstances;

/** Index of the first human instance (the one single-animal views show as "the" pose). */
export function findMineIndex(instances: readonly Instance[]): number {
  return instances.findIndex((i) => i.source === 'human');
}

/** A server instance's points on the skeleton's nodes, as a point map. */
export function pointMap(points: readonly Point[], nodeIds: readonly number[]): Record<number, PointValue> {
  const known = new Set(nodeIds);
  const out: Record<number, PointValue> = {};
  for (const p of points) if (known.has(p.node)) out[p.node] = { x: p.x, y: p.y, visibility: p.visibility };
  return out;
}

/**
 * Replace the frame content (after a load, "take theirs", or a restored draft).
 * Resets undo history, activates the first instance and its first unplaced node.
 */
export function editorLoadFrame(s: EditorState, instances: readonly Instance[], frameIndex = s.frameIndex): EditorState {
  const docs: InstanceDoc[] = instances
    .filter((i) => i.source === 'human')
    .map((i) => ({ track: i.track, points: pointMap(i.points, s.nodeIds), origin: i }));
  const loaded: EditorState = {
    ...s,
    frameIndex,
    history: historyCreate({ instances: docs }),
    base: { instances: [...instances] },
    activeInstance: 0,
    activePrediction: null,
  };
  return { ...loaded, activeNodeId: nextUnplacedNode(loaded, null) ?? s.nodeIds[0] ?? null };
}

/** The first project track no instance of the document carries (null when all are taken or there are none). */
export function freeTrack(s: EditorState, doc: FrameDoc = currentDoc(s)): string | null {
  if (!isMultiAnimal(s)) return null;
  const used = new Set(doc.instances.map((i) => i.track));
  return s.tracks.find((t) => !used.has(t.name))?.name ?? null;
}

/** Commit a new document (no-op for viewers); `activeInstance` defaults to the current one, kept in range. */
export function editorCommitDoc(s: EditorState, doc: FrameDoc, activeInstance = s.activeInstance): EditorState {
  if (!s.editable || doc === s.history.present) return s;
  return withActiveInRange({ ...s, history: historyCommit(s.history, doc), activeInstance });
}

/**
 * Commit a new pose for the active instance (no-op for viewers). On a frame
 * without instances the first point creates one (with the first free track).
 */
export function editorCommit(s: EditorState, pose: PoseDoc): EditorState {
  if (!s.editable) return s;
  const doc = currentDoc(s);
  const active = doc.instances[s.activeInstance];
  if (active) {
    if (active.points === pose.points) return s;
    const instances = doc.instances.map((inst, i) => (i === s.activeInstance ? { ...inst, points: pose.points } : inst));
    return editorCommitDoc(s, { instances });
  }
  if (Object.keys(pose.points).length === 0) return s;
  const created: InstanceDoc = { track: freeTrack(s, doc), points: pose.points, origin: null };
  return editorCommitDoc(s, { instances: [...doc.instances, created] }, doc.instances.length);
}

/** After undo / redo the active instance may be gone: keep the index on an existing one. */
export function withActiveInRange(s: EditorState): EditorState {
  const n = currentDoc(s).instances.length;
  const activeInstance = Math.max(0, Math.min(s.activeInstance, n - 1));
  return activeInstance === s.activeInstance ? s : { ...s, activeInstance };
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
 * The first unplaced node of the active instance after `afterNodeId` in display
 * order (wrapping), or null when every node is placed. With `afterNodeId` null,
 * search from the start.
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

/** An instance's points in skeleton order, then the points of nodes the skeleton lost (kept as they came). */
function instancePoints(s: EditorState, inst: InstanceDoc): Point[] {
  const points: Point[] = [];
  for (const node of s.nodeIds) {
    const p = inst.points[node];
    if (p) points.push({ node, x: p.x, y: p.y, visibility: p.visibility });
  }
  const known = new Set(s.nodeIds);
  return [...points, ...(inst.origin?.points ?? []).filter((p) => !known.has(p.node))];
}

/** Points of the active instance, in skeleton order, followed by foreign points. */
export function posePoints(s: EditorState): Point[] {
  const active = activeInstanceDoc(s);
  return active ? instancePoints(s, active) : [];
}

function toInstance(s: EditorState, inst: InstanceDoc): Instance | null {
  const points = instancePoints(s, inst);
  if (!points.length) return null;
  return inst.origin ? { ...inst.origin, track: inst.track, points } : { track: inst.track, source: 'human', points };
}

/**
 * The full `instances` list to PUT: non-human instances unchanged and in
 * place, each loaded human instance where it was (dropped when deleted or
 * left with no points), new instances appended.
 */
export function editorInstances(s: EditorState): Instance[] {
  const docs = currentDoc(s).instances;
  const byOrigin = new Map(docs.filter((d) => d.origin).map((d) => [d.origin, d]));
  const out: Instance[] = [];
  const written = new Set<InstanceDoc>();
  for (const inst of s.base.instances) {
    if (inst.source !== 'human') {
      out.push(inst);
      continue;
    }
    const doc = byOrigin.get(inst);
    if (!doc) continue;
    written.add(doc);
    const next = toInstance(s, doc);
    if (next) out.push(next);
  }
  for (const doc of docs) {
    if (written.has(doc)) continue;
    // Not matched to a loaded instance (new, or a second copy of one): saved as a new instance, without an id.
    const next = toInstance(s, doc.origin ? { ...doc, origin: null } : doc);
    if (next) out.push(next);
  }
  return out;
}

/** The human instance of a frame as a point map (single-animal views: the read-only frame, the conflict panel). */
export function humanPointMap(instances: readonly Instance[] | undefined, nodeIds: readonly number[]): Record<number, PointValue> {
  const mine = instances?.[findMineIndex(instances)];
  return pointMap(mine?.points ?? [], nodeIds);
}

/**
 * The nearest labeled frame before `frameIndex` with human points, from the
 * video's labeled-frame list (all its human instances); null when there is none.
 */
export function previousLabeledPose(
  frames: readonly { frame_index: number; instances?: readonly Instance[] }[],
  frameIndex: number,
  nodeIds: readonly number[],
): PreviousFrame | null {
  let best: PreviousFrame | null = null;
  for (const f of frames) {
    if (f.frame_index >= frameIndex || (best && f.frame_index <= best.frameIndex)) continue;
    const instances = (f.instances ?? [])
      .filter((i) => i.source === 'human')
      .map((i) => ({ track: i.track, points: pointMap(i.points, nodeIds) }))
      .filter((i) => Object.keys(i.points).length > 0);
    if (instances.length) best = { frameIndex: f.frame_index, instances };
  }
  return best;
}
