/**
 * The model's prediction for the current frame (pure, no I/O): every
 * predicted instance is shown as a faint layer, and "Use prediction" turns one
 * (or all) into editable instances.
 */
import type { ModelPrediction, PredictedInstanceApi } from './api/predictions';
import type { PointValue } from './state';

/** A predicted keypoint in image pixels with the model's confidence (0..1, null when unknown). */
export interface PredictedValue {
  x: number;
  y: number;
  score: number | null;
}

/** One predicted animal: skeleton node id → predicted point. */
export interface PredictedInstance {
  readonly track: string | null;
  readonly score: number | null;
  readonly points: Readonly<Record<number, PredictedValue>>;
}

export interface FramePredictionState {
  readonly frameIndex: number;
  readonly run: number;
  readonly modelVersionNumber: number;
  /** Predicted instances with at least one point on the skeleton's nodes, best first as the server sent them. */
  readonly instances: readonly PredictedInstance[];
}

function instanceFromApi(inst: PredictedInstanceApi, known: ReadonlySet<number>): PredictedInstance {
  const points: Record<number, PredictedValue> = {};
  for (const pt of inst.points) {
    if (known.has(pt.node) && Number.isFinite(pt.x) && Number.isFinite(pt.y)) {
      points[pt.node] = { x: pt.x, y: pt.y, score: pt.score ?? null };
    }
  }
  return { track: inst.track ?? null, score: inst.score ?? null, points };
}

/**
 * The API answer as editor state, keeping only the skeleton's nodes and finite
 * coordinates. Servers that send one `points` list (single-animal) give one instance.
 */
export function predictionFromApi(p: ModelPrediction, nodeIds: readonly number[]): FramePredictionState {
  const known = new Set(nodeIds);
  const raw: readonly PredictedInstanceApi[] = p.instances ?? [{ track: null, score: null, points: p.points ?? [] }];
  const instances = raw.map((i) => instanceFromApi(i, known)).filter((i) => Object.keys(i.points).length > 0);
  return { frameIndex: p.frame_index, run: p.run, modelVersionNumber: p.model_version.number, instances };
}

/** A predicted instance as a pose: every predicted node visible (2). */
export function predictionPose(p: PredictedInstance): Record<number, PointValue> {
  const out: Record<number, PointValue> = {};
  for (const [node, v] of Object.entries(p.points)) out[Number(node)] = { x: v.x, y: v.y, visibility: 2 };
  return out;
}

export const hasPredictedPoints = (p: FramePredictionState | null): p is FramePredictionState =>
  p !== null && p.instances.length > 0;

/** Opacity of a predicted point: faint when the model is unsure, never invisible. */
export function predictionAlpha(score: number | null): number {
  if (score == null || !Number.isFinite(score)) return 0.5;
  return 0.2 + 0.6 * Math.min(1, Math.max(0, score));
}
