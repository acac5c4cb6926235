/** Skeleton endpoint (one skeleton per project). */
import { api } from '../../../lib/api';
import type { Skeleton } from '../../../types/api';

export const getSkeleton = (projectId: number, signal?: AbortSignal) =>
  api.get<Skeleton>(`/api/projects/${projectId}/skeleton/`, signal);
