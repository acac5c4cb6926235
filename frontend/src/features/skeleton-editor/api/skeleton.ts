/** PUT of the skeleton (owners). 409 `extra.labels_removed` when deleting labeled nodes without confirm. */
import { api } from '../../../lib/api';
import type { Skeleton, SkeletonPut } from '../../../types/api';

export const getSkeletonForEdit = (projectId: number, signal?: AbortSignal) =>
  api.get<Skeleton>(`/api/projects/${projectId}/skeleton/`, signal);

export const putSkeleton = (projectId: number, body: SkeletonPut, confirm = false) =>
  api.put<Skeleton>(`/api/projects/${projectId}/skeleton/${confirm ? '?confirm=true' : ''}`, body);
