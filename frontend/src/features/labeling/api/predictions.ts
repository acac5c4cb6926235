/**
 * The model's prediction for a frame (the latest succeeded run on the video;
 * none yet → null), and accepting a suggested frame with corrected points.
 */
import { api, ApiError } from '../../../lib/api';
import type { FramePrediction, Point, Suggestion } from '../../../types/api';

/** What the server answers (200) for a video no model has run on yet. */
type NoPrediction = Omit<FramePrediction, 'run' | 'model_version'> & { run: null; model_version: null };

export async function getFramePrediction(videoId: number, frameIndex: number, signal?: AbortSignal): Promise<FramePrediction | null> {
  try {
    const p = await api.get<FramePrediction | NoPrediction>(`/api/videos/${videoId}/predictions/${frameIndex}/`, signal);
    return p && p.run !== null ? (p as FramePrediction) : null;
  } catch (err) {
    // Older servers answered 404 for "no model yet".
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** Accept a suggestion with the points the user corrected, on top of the frame version they saw. */
export const acceptCorrectedSuggestion = (suggestionId: number, points: Point[], version: number) =>
  api.post<Suggestion>(`/api/suggestions/${suggestionId}/accept/`, { points, version });
