/** Track proofreading endpoints under /api/inference-runs/{id}/tracks/, and the run's predicted frames. */
import { api } from '../../../lib/api';
import type {
  PredictionRange,
  TrackAcceptRequest,
  TrackAcceptResult,
  TrackEditInfo,
  TrackEditRequest,
  TrackEditResponse,
  TrackLockResponse,
  TracksTimeline,
} from '../../../types/api';

const base = (runId: number) => `/api/inference-runs/${runId}/tracks`;

export const getTimeline = (runId: number, signal?: AbortSignal) => api.get<TracksTimeline>(`${base(runId)}/`, signal);

/** Predicted frames `[start, stop)` (raw, not smoothed: edits change both alike). */
export const getPredictions = (runId: number, start: number, stop: number, signal?: AbortSignal) =>
  api.get<PredictionRange>(`/api/inference-runs/${runId}/predictions/?start=${start}&stop=${stop}`, signal);

/** One edit made on tracks `request.version`; 409 when someone changed the same frames since. */
export const postEdit = (runId: number, request: TrackEditRequest) => api.post<TrackEditResponse>(`${base(runId)}/edits/`, request);

/** The run's edits, newest first (the server keeps the last 200 in the list). */
export const getEdits = (runId: number, signal?: AbortSignal) =>
  api.get<{ edits: TrackEditInfo[] }>(`${base(runId)}/edits/`, signal);

export const undoEdit = (runId: number) => api.post<TrackEditResponse>(`${base(runId)}/undo/`);

/** Take (or move, or renew) my lock on frames `[start, stop)`; 409 naming who holds an overlap. */
export const takeLock = (runId: number, start: number, stop: number) =>
  api.post<TrackLockResponse>(`${base(runId)}/locks/`, { start, stop });

export const releaseLock = (runId: number) => api.delete<null>(`${base(runId)}/locks/`);

export const acceptTracks = (runId: number, request: TrackAcceptRequest) =>
  api.post<TrackAcceptResult>(`${base(runId)}/accept/`, request);
