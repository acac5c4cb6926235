/** Encoder pretraining endpoints: a project's pretraining jobs, start, cancel. */
import { api } from '../../../lib/api';
import type { PretrainJob, PretrainJobCreate } from '../../../types/api';

export const getPretrainJobs = (projectId: number, signal?: AbortSignal) =>
  api.get<PretrainJob[]>(`/api/projects/${projectId}/pretrain-jobs/`, signal);

export const startPretrainJob = (projectId: number, body: PretrainJobCreate = {}) =>
  api.post<PretrainJob>(`/api/projects/${projectId}/pretrain-jobs/`, body);

export const cancelPretrainJob = (jobId: number) => api.post<PretrainJob>(`/api/pretrain-jobs/${jobId}/cancel/`);
