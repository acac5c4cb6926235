/**
 * The model's prediction for a frame (the latest succeeded run on the video;
 * none yet → null), and accepting a suggested frame with corrected points.
 */
import { api, ApiError } from '../../../lib/api';
import type { FramePrediction, Point, Suggestion } from '../../../types/api';

/** One predicted animal: its track (or null), its instance score and its points. */
export type PredictedInstanceApi = FramePrediction['instances'][number];

/**
 * A frame some model predicted (the server answers run and model_version null
 * before any ran). Servers from before multi-animal sent one `points` list and
 * no `instances`; it is read as one instance.
 */
export type ModelPrediction = Omit<FramePrediction, 'run' | 'model_version' | 'instances'> & {
  run: number;
  model_version: NonNullable<FramePrediction['model_version']>;
  instances?: PredictedInstanceApi[];
  points?: PredictedInstanceApi['points'];
};

const isModelPrediction = (p: FramePrediction): boolean => p.run !== null && p.model_version !== null;

export async function getFramePrediction(videoId: number, frameIndex: number, signal?: AbortSignal): Promise<ModelPrediction | null> {
  try {
    const p = await api.get<FramePrediction>(`/api/videos/${videoId}/predictions/${frameIndex}/`, signal);
    return p && isModelPrediction(p) ? (p as ModelPrediction) : null;
  } catch (err) {
    // Older servers answered 404 for "no model yet".
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** Accept a suggestion with the points the user corrected, on top of the frame version they saw. */
export const acceptCorrectedSuggestion = (suggestionId: number, points: Point[], version: number) =>
  api.post<Suggestion>(`/api/suggestions/${suggestionId}/accept/`, { points, version });
