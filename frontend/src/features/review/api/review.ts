/** Review endpoints: the queue, a frame's labels, and the decision. */
import { api } from '../../../lib/api';
import type { FrameSummary, LabeledFrameTeam, ReviewDecision, Video } from '../../../types/api';

export const getReviewQueue = (projectId: number, signal?: AbortSignal) =>
  api.get<FrameSummary[]>(`/api/projects/${projectId}/review-queue/`, signal);

export const getFrameForReview = (videoId: number, frameIndex: number, signal?: AbortSignal) =>
  api.get<LabeledFrameTeam>(`/api/videos/${videoId}/frames/${frameIndex}/labels/`, signal);

export const getReviewVideo = (videoId: number, signal?: AbortSignal) => api.get<Video>(`/api/videos/${videoId}/`, signal);

export const postReview = (videoId: number, frameIndex: number, body: ReviewDecision) =>
  api.post<LabeledFrameTeam>(`/api/videos/${videoId}/frames/${frameIndex}/review/`, body);
