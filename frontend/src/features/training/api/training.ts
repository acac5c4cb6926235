/** Training endpoints: presets, jobs, cancel. */
import { api } from '../../../lib/api';
import type { TrainingJob, TrainingJobCreate, TrainingPresets } from '../../../types/api';

export const getTrainingPresets = (signal?: AbortSignal) => api.get<TrainingPresets>('/api/training-presets/', signal);

export const getTrainingJobs = (projectId: number, signal?: AbortSignal) =>
  api.get<TrainingJob[]>(`/api/projects/${projectId}/training-jobs/`, signal);

export const getTrainingJob = (jobId: number, signal?: AbortSignal) =>
  api.get<TrainingJob>(`/api/training-jobs/${jobId}/`, signal);

export const startTrainingJob = (projectId: number, body: TrainingJobCreate) =>
  api.post<TrainingJob>(`/api/projects/${projectId}/training-jobs/`, body);

export const cancelTrainingJob = (jobId: number) => api.post<TrainingJob>(`/api/training-jobs/${jobId}/cancel/`);
