/** Team page endpoints: members, presence, dashboard, frame picking. */
import { api } from '../../../lib/api';
import type { Dashboard, FrameLock, Member, PickJob, PickMethod, Role, Video } from '../../../types/api';

export const getMembers = (projectId: number, signal?: AbortSignal) =>
  api.get<Member[]>(`/api/projects/${projectId}/members/`, signal);

export const addMember = (projectId: number, username: string, role: Role) =>
  api.post<Member>(`/api/projects/${projectId}/members/`, { username, role });

export const updateMember = (projectId: number, memberId: number, role: Role) =>
  api.patch<Member>(`/api/projects/${projectId}/members/${memberId}/`, { role });

export const removeMember = (projectId: number, memberId: number) =>
  api.delete<null>(`/api/projects/${projectId}/members/${memberId}/`);

export const getPresence = (projectId: number, signal?: AbortSignal) =>
  api.get<FrameLock[]>(`/api/projects/${projectId}/presence/`, signal);

export const getDashboard = (projectId: number, signal?: AbortSignal) =>
  api.get<Dashboard>(`/api/projects/${projectId}/dashboard/`, signal);

export const getProjectVideos = (projectId: number, signal?: AbortSignal) =>
  api.get<Video[]>(`/api/projects/${projectId}/videos/`, signal);

export const startPickFrames = (videoId: number, body: { method: PickMethod; count: number; seed?: number | null }) =>
  api.post<PickJob>(`/api/videos/${videoId}/pick-frames/`, body);

export const getPickJob = (jobId: number, signal?: AbortSignal) => api.get<PickJob>(`/api/pick-jobs/${jobId}/`, signal);
