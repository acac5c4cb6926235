/**
 * GET/PUT of one frame's labels. A frame never labeled answers an empty frame
 * with `id: null` (older servers: 404); we map it to `null` and callers treat
 * it as empty at version 0.
 */
import { api, ApiError } from '../../../lib/api';
import type { LabeledFrame, LabelsPut } from '../../../types/api';

export const frameLabelsUrl = (videoId: number, frameIndex: number) =>
  `/api/videos/${videoId}/frames/${frameIndex}/labels/`;

export async function getFrameLabels(videoId: number, frameIndex: number): Promise<LabeledFrame | null> {
  try {
    const frame = await api.get<LabeledFrame>(frameLabelsUrl(videoId, frameIndex));
    return frame && frame.id !== null ? frame : null;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** PUT with optimistic concurrency: 409 carries `extra.current` (their LabeledFrame). */
export function putFrameLabels(videoId: number, frameIndex: number, body: LabelsPut): Promise<LabeledFrame> {
  return api.put<LabeledFrame>(frameLabelsUrl(videoId, frameIndex), body);
}

/** A LabeledFrame for a frame that has no labels yet. */
export function emptyLabeledFrame(videoId: number, frameIndex: number): LabeledFrame {
  return {
    id: null,
    video: videoId,
    frame_index: frameIndex,
    status: 'in_progress',
    version: 0,
    updated_at: null,
    updated_by: null,
    assignee: null,
    submitted_by: null,
    locked_by: null,
    lock_expires_at: null,
    submitted_at: null,
    latest_comment: null,
    instances: [],
  };
}
