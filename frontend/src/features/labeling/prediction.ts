/**
 * The model's prediction for the current frame (pure, no I/O): shown as a
 * faint layer and turned into the editable pose by "Use prediction".
 */
import type { ModelPrediction } from './api/predictions';
import type { PointValue } from './state';

/** A predicted keypoint in image pixels with the model's confidence (0..1, null when unknown). */
export interface PredictedValue {
  x: number;
  y: number;
  score: number | null;
}

export interface FramePredictionState {
  readonly frameIndex: number;
  readonly run: number;
  readonly modelVersionNumber: number;
  /** Skeleton node id → predicted point (nodes not in the skeleton are left out). */
  readonly points: Readonly<Record<number, PredictedValue>>;
}

/** The API answer as editor state, keeping only the skeleton's nodes and finite coordinates. */
export function predictionFromApi(p: ModelPrediction, nodeIds: readonly number[]): FramePredictionState {
  const known = new Set(nodeIds);
  const points: Record<number, PredictedValue> = {};
  for (const pt of p.points) {
    if (known.has(pt.node) && Number.isFinite(pt.x) && Number.isFinite(pt.y)) {
      points[pt.node] = { x: pt.x, y: pt.y, score: pt.score ?? null };
    }
  }
  return { frameIndex: p.frame_index, run: p.run, modelVersionNumber: p.model_version.number, points };
}

/** The prediction as a pose: every predicted node visible (2). */
export function predictionPose(p: FramePredictionState): Record<number, PointValue> {
  const out: Record<number, PointValue> = {};
  for (const [node, v] of Object.entries(p.points)) out[Number(node)] = { x: v.x, y: v.y, visibility: 2 };
  return out;
}

export const hasPredictedPoints = (p: FramePredictionState | null): p is FramePredictionState =>
  p !== null && Object.keys(p.points).length > 0;

/** Opacity of a predicted point: faint when the model is unsure, never invisible. */
export function predictionAlpha(score: number | null): number {
  if (score == null || !Number.isFinite(score)) return 0.5;
  return 0.2 + 0.6 * Math.min(1, Math.max(0, score));
}
