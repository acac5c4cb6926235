/** Inference run endpoints: list, start (one run per video), poll, cancel, retrain, re-track; videos to pick from. */
import { api } from '../../../lib/api';
import type {
  InferenceRun,
  InferenceRunCreate,
  RetrackJob,
  TrackingSettings,
  TrainingJob,
  TrainPreset,
  Video,
} from '../../../types/api';

export const getInferenceRuns = (projectId: number, signal?: AbortSignal) =>
  api.get<InferenceRun[]>(`/api/projects/${projectId}/inference-runs/`, signal);

export const startInferenceRuns = (projectId: number, body: InferenceRunCreate) =>
  api.post<InferenceRun[]>(`/api/projects/${projectId}/inference-runs/`, body);

export const getInferenceRun = (runId: number, signal?: AbortSignal) =>
  api.get<InferenceRun>(`/api/inference-runs/${runId}/`, signal);

export const cancelInferenceRun = (runId: number) => api.post<InferenceRun>(`/api/inference-runs/${runId}/cancel/`);

export const retrainFromRun = (runId: number, preset: TrainPreset) =>
  api.post<TrainingJob>(`/api/inference-runs/${runId}/retrain/`, { preset });

/** Re-track a finished run (no re-inferring); null settings: the run's own. */
export const retrackRun = (runId: number, tracking: TrackingSettings | null) =>
  api.post<RetrackJob>(`/api/inference-runs/${runId}/retrack/`, { tracking });

export const getVideosForInference = (projectId: number, signal?: AbortSignal) =>
  api.get<Video[]>(`/api/projects/${projectId}/videos/`, signal);
