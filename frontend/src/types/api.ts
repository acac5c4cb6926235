/**
 * Types for the PoseForge REST API, written by hand from docs/api.md
 * (the live schema is at /api/schema/). Field names mirror the JSON exactly.
 */

export type Role = 'owner' | 'annotator' | 'reviewer' | 'viewer';

export interface User {
  id: number;
  username: string;
}

export interface MeResponse {
  user: User | null;
}

export interface LoginResponse {
  user: User;
}

/** Review status of a labeled frame. */
export type FrameStatus = 'in_progress' | 'submitted' | 'approved' | 'rejected';

export interface ProjectCounts {
  videos: number;
  labeled_frames: number;
  instances: number;
  by_status: Record<FrameStatus, number>;
}

export interface Project {
  id: number;
  name: string;
  description: string;
  created_at: string;
  my_role: Role;
  counts: ProjectCounts;
}

export interface ProjectCreate {
  name: string;
  description?: string;
}

export interface Member {
  id: number;
  user: User;
  role: Role;
}

export interface SkeletonNode {
  id: number;
  name: string;
  /** "#rrggbb" */
  color: string;
}

/** A pair of node ids. */
export type NodePair = [number, number];

export interface Skeleton {
  nodes: SkeletonNode[];
  edges: NodePair[];
  symmetries: NodePair[];
}

export type VideoStatus = 'processing' | 'ready' | 'failed';

export interface Video {
  id: number;
  project: number;
  name: string;
  fps: number | null;
  frame_count: number | null;
  width: number | null;
  height: number | null;
  codec: string | null;
  status: VideoStatus;
  error: string | null;
  thumbnail_url: string | null;
  created_at: string;
  labeled_frames: number;
  /** File size in bytes. Not in docs/api.md, but sent by the backend. */
  size_bytes?: number | null;
}

/** 2 = visible, 1 = occluded (position estimated), 0 = not in frame (x, y ignored). */
export type Visibility = 0 | 1 | 2;

export interface Point {
  node: number;
  x: number;
  y: number;
  visibility: Visibility;
}

export type InstanceSource = 'human' | 'model';

export interface Instance {
  id?: number;
  track: string | null;
  source: InstanceSource;
  points: Point[];
}

export interface LabeledFrame {
  id: number | null;
  video: number;
  frame_index: number;
  status: FrameStatus;
  version: number;
  updated_at: string | null;
  updated_by: User | null;
  instances: Instance[];
}

export interface LabelsPut {
  version: number;
  instances: Instance[];
}

export interface FrameHistoryEntry {
  id: number;
  user: User | null;
  created_at: string;
  action: string;
  before: unknown;
  after: unknown;
}

/** The one error shape of the backend: `{message, extra}`. */
export interface ErrorBody {
  message: string;
  extra?: Record<string, unknown>;
}

/** 409 body of PUT labels. */
export interface LabelsConflictExtra {
  current: LabeledFrame;
}
