/** Project endpoints. */
import { api } from '../../../lib/api';
import type { Project, ProjectCreate } from '../../../types/api';

export const getProjects = (signal?: AbortSignal) => api.get<Project[]>('/api/projects/', signal);

export const getProject = (projectId: number, signal?: AbortSignal) =>
  api.get<Project>(`/api/projects/${projectId}/`, signal);

export const createProject = (body: ProjectCreate) => api.post<Project>('/api/projects/', body);

/** PATCH /api/projects/:id/ (owners): name, description, allow_self_review, max_instances, tracks. */
export const updateProject = (projectId: number, body: Partial<ProjectCreate>) =>
  api.patch<Project>(`/api/projects/${projectId}/`, body);
