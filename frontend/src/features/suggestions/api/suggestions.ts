/** Suggestion endpoints: the queue, accept / dismiss / assign, a run's prediction, members, AL settings. */
import { api } from '../../../lib/api';
import type {
  ActiveLearningSettings,
  Member,
  PredictionRange,
  Suggestion,
  SuggestionAccept,
  SuggestionStatus,
  Video,
} from '../../../types/api';

export interface SuggestionQuery {
  status?: SuggestionStatus;
  video?: number | null;
  mine?: boolean;
}

export function suggestionsUrl(projectId: number, q: SuggestionQuery = {}): string {
  const params = new URLSearchParams({ status: q.status ?? 'pending' });
  if (q.video != null) params.set('video', String(q.video));
  if (q.mine) params.set('assignee', 'me');
  return `/api/projects/${projectId}/suggestions/?${params.toString()}`;
}

export const getSuggestions = (projectId: number, q: SuggestionQuery = {}, signal?: AbortSignal) =>
  api.get<Suggestion[]>(suggestionsUrl(projectId, q), signal);

export const acceptSuggestion = (id: number, body: SuggestionAccept = {}) =>
  api.post<Suggestion>(`/api/suggestions/${id}/accept/`, body);

export const dismissSuggestion = (id: number) => api.post<Suggestion>(`/api/suggestions/${id}/dismiss/`);

export const assignSuggestion = (id: number, username: string | null) =>
  api.post<Suggestion>(`/api/suggestions/${id}/assign/`, { username });

/** One frame of a run's (raw) predictions. */
export const getRunFrame = (runId: number, frameIndex: number, signal?: AbortSignal) =>
  api.get<PredictionRange>(`/api/inference-runs/${runId}/predictions/?start=${frameIndex}&stop=${frameIndex + 1}`, signal);

export const getProjectMembers = (projectId: number, signal?: AbortSignal) =>
  api.get<Member[]>(`/api/projects/${projectId}/members/`, signal);

export const getSuggestionVideos = (projectId: number, signal?: AbortSignal) =>
  api.get<Video[]>(`/api/projects/${projectId}/videos/`, signal);

export const getALSettings = (projectId: number, signal?: AbortSignal) =>
  api.get<ActiveLearningSettings>(`/api/projects/${projectId}/active-learning-settings/`, signal);

export const putALSettings = (projectId: number, body: Omit<ActiveLearningSettings, 'updated_at'>) =>
  api.put<ActiveLearningSettings>(`/api/projects/${projectId}/active-learning-settings/`, body);
