/** Video endpoints. */
import { api } from '../../../lib/api';
import type { Video } from '../../../types/api';

export const getVideos = (projectId: number, signal?: AbortSignal) =>
  api.get<Video[]>(`/api/projects/${projectId}/videos/`, signal);

export const getVideo = (videoId: number, signal?: AbortSignal) => api.get<Video>(`/api/videos/${videoId}/`, signal);

/** Poll interval while any video of the list is still processing. */
export const VIDEO_POLL_MS = 2000;

export const anyProcessing = (videos: readonly Video[]) => videos.some((v) => v.status === 'processing');
