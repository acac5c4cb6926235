/**
 * Team-labeling endpoints the labeling workspace uses: frame lock + heartbeat,
 * "next frame for me", my frames, presence, submit and the per-frame history.
 */
import { api, csrfHeaders } from '../../../lib/api';
import type { FrameLock, FrameSummary, LabeledFrameTeam, LabelHistoryRow, NextFrame } from '../../../types/api';

const frameUrl = (videoId: number, frameIndex: number) => `/api/videos/${videoId}/frames/${frameIndex}`;

export const lockFrame = (videoId: number, frameIndex: number) =>
  api.post<FrameLock>(`${frameUrl(videoId, frameIndex)}/lock/`);

export const unlockFrame = (videoId: number, frameIndex: number) =>
  api.delete<null>(`${frameUrl(videoId, frameIndex)}/lock/`);

/** Release from `pagehide`: a keepalive request survives the page going away. */
export function unlockFrameOnUnload(videoId: number, frameIndex: number): void {
  try {
    void fetch(`${frameUrl(videoId, frameIndex)}/lock/`, {
      method: 'DELETE',
      keepalive: true,
      credentials: 'same-origin',
      headers: csrfHeaders('DELETE'),
    }).catch(() => undefined);
  } catch {
    // Best effort: the lock expires by itself.
  }
}

/** The next frame to label, already locked to me; null (204) when nothing is left. */
export const nextFrameForMe = (projectId: number) =>
  api.post<NextFrame | null>(`/api/projects/${projectId}/next-frame/`);

export const getMyFrames = (projectId: number, signal?: AbortSignal) =>
  api.get<FrameSummary[]>(`/api/projects/${projectId}/my-frames/`, signal);

export const getPresence = (projectId: number, signal?: AbortSignal) =>
  api.get<FrameLock[]>(`/api/projects/${projectId}/presence/`, signal);

export const submitFrame = (videoId: number, frameIndex: number, version: number) =>
  api.post<LabeledFrameTeam>(`${frameUrl(videoId, frameIndex)}/submit/`, { version });

export const getFrameHistory = (videoId: number, frameIndex: number, signal?: AbortSignal) =>
  api.get<LabelHistoryRow[]>(`${frameUrl(videoId, frameIndex)}/history/`, signal);
