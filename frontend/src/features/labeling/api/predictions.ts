/**
 * The model's prediction for a frame (the latest succeeded run on the video;
 * 404 = none → null), and accepting a suggested frame with corrected points.
 */
import { api, ApiError } from '../../../lib/api';
import type { FramePrediction, Point, Suggestion } from '../../../types/api';

export async function getFramePrediction(videoId: number, frameIndex: number, signal?: AbortSignal): Promise<FramePrediction | null> {
  try {
    return await api.get<FramePrediction>(`/api/videos/${videoId}/predictions/${frameIndex}/`, signal);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** Accept a suggestion with the points the user corrected, on top of the frame version they saw. */
export const acceptCorrectedSuggestion = (suggestionId: number, points: Point[], version: number) =>
  api.post<Suggestion>(`/api/suggestions/${suggestionId}/accept/`, { points, version });
