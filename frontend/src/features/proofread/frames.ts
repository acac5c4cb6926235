/**
 * One frame of a run's predictions as the proofreading page draws and edits it
 * (pure). An instance keeps its position in the server's list: that position
 * is what `assign` and `delete` send as `instance`, even when some of its
 * nodes are no longer in the project's skeleton and are not drawn.
 */
import type { Instance, PredictionRange } from '../../types/api';

export interface ProofreadInstance {
  /** Position among the frame's predicted instances (the edit's `instance`). */
  index: number;
  track: string | null;
  score: number | null;
  /** Drawable points, on project node ids. */
  instance: Instance;
}

/** The predicted instances of `frameIndex` in `range` (none when the range lacks the frame). */
export function frameInstances(range: PredictionRange, frameIndex: number): ProofreadInstance[] {
  const frame = range.frames.find((f) => f.frame_index === frameIndex);
  return (frame?.instances ?? []).map((inst, index) => {
    const points: Instance['points'] = [];
    inst.points.forEach((p, k) => {
      const node = range.node_ids[k];
      const [x, y] = p ?? [];
      if (node == null || x == null || y == null || !Number.isFinite(x) || !Number.isFinite(y)) return;
      points.push({ node, x, y, visibility: 2 });
    });
    return { index, track: inst.track, score: inst.score, instance: { track: inst.track, source: 'model', points } };
  });
}

/** Chunk of frames fetched at once around the current frame (the page steps frame by frame). */
export const CHUNK = 100;

/** `[start, stop)` of the chunk holding `frame`. */
export const chunkOf = (frame: number): [number, number] => {
  const start = Math.floor(frame / CHUNK) * CHUNK;
  return [start, start + CHUNK];
};
