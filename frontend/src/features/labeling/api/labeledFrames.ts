/** Summary list of a video's labeled frames (instances may be omitted by the server). */
import { api } from '../../../lib/api';
import type { LabeledFrame } from '../../../types/api';

export type LabeledFrameSummary = Omit<LabeledFrame, 'instances'> & { instances?: LabeledFrame['instances'] };

export const getLabeledFrames = (videoId: number, signal?: AbortSignal) =>
  api.get<LabeledFrameSummary[]>(`/api/videos/${videoId}/labeled-frames/`, signal);
