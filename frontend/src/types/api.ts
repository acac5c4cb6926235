/**
 * Types for the PoseForge REST API, written by hand from docs/api.md
 * (the live schema is at /api/schema/). Field names mirror the JSON exactly.
 */

export type Role = 'owner' | 'annotator' | 'reviewer' | 'viewer';

export interface User {
  id: number;
  username: string;
  /** Site admin; only sent for the logged-in user (auth/me, login, invite accept). */
  is_staff?: boolean;
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

// --- training and model versions ---------------------------------------------

export type TrainPreset = 'fast' | 'balanced' | 'accurate';

/**
 * A training config (ml_worker TrainConfig.to_dict()). Only the fields the UI
 * reads are typed; the backend sends many more (filters, sigma_px, aug_*...).
 */
export interface TrainConfig {
  preset?: string;
  seed?: number;
  /** Wall-clock budget in seconds; null = no limit. */
  max_seconds?: number | null;
  max_steps?: number;
  batch_size?: number;
  learning_rate?: number;
  aug_flip?: boolean;
  [field: string]: unknown;
}

/** GET /api/training-presets/ */
export type TrainingPresets = Record<TrainPreset, TrainConfig>;

export type TrainingJobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export type TrainingStage = 'centroid' | 'instance' | '';

/** One validation point of a job's loss history. */
export interface LossHistoryEntry {
  stage: string;
  epoch: number | null;
  /** Global step (counted across stages). */
  step: number;
  train_loss: number | null;
  val_loss: number | null;
  elapsed_seconds: number | null;
}

export interface TrainingJob {
  id: number;
  project: number;
  status: TrainingJobStatus;
  preset: string;
  config: TrainConfig;
  /** 0..1 */
  progress: number;
  stage: TrainingStage | string;
  epoch: number;
  step: number;
  total_steps: number;
  eta_seconds: number | null;
  history: LossHistoryEntry[];
  message: string;
  error: string;
  worker: string;
  attempt: number;
  cancel_requested: boolean;
  heartbeat_at: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** Username. */
  created_by: string | null;
  parent_version: number | null;
  snapshot: { id: number; sha256: string; frame_count: number };
  /** Empty until the worker has made the split. */
  split: { train?: string[]; val?: string[] };
  model_version: number | null;
}

/** POST /api/projects/{id}/training-jobs/ */
export interface TrainingJobCreate {
  preset: TrainPreset;
  advanced?: Record<string, unknown>;
  parent_version?: number | null;
  include_unreviewed?: boolean;
}

/** Per-node RMSE: a name → value map, or (older / other writers) a list. */
export type PerNodeRmse =
  | Record<string, number | null>
  | Array<number | null | [string, number | null] | { node?: string; name?: string; rmse_px?: number | null; value?: number | null }>;

/** Evaluation metrics of a model version; any key may be missing (no validation frames). */
export interface ModelMetrics {
  rmse_px?: number | null;
  mean_error_px?: number | null;
  median_error_px?: number | null;
  pck_2px?: number | null;
  pck_5px?: number | null;
  pck_10px?: number | null;
  per_node_rmse_px?: PerNodeRmse;
  frames?: string[];
  frame_keys?: string[];
  n_frames?: number;
  n_points?: number;
  steps?: number;
  train_seconds?: number;
  stop_reason?: string;
  [key: string]: unknown;
}

export interface ModelVersionConfig {
  node_names?: string[];
  edges?: unknown[];
  symmetries?: unknown[];
  preprocessing?: Record<string, unknown>;
  geometry?: Record<string, unknown>;
  train_config?: TrainConfig;
  extra?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ModelVersion {
  id: number;
  project: number;
  number: number;
  job: number | null;
  parent: number | null;
  metrics: ModelMetrics;
  config: ModelVersionConfig;
  created_at: string;
  download_url: string | null;
}

// --- import / export (backend/interchange) -------------------------------------

export type ImportExportJobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/**
 * GET /api/import-export-jobs/{id}/ (also the 202 body of POST /api/imports/ and
 * POST /api/projects/{id}/exports/). `project` is the new project of a finished
 * import, or the exported project; `download_url` is set once an export succeeded.
 */
export interface ImportExportJob {
  id: number;
  kind: 'import' | 'export';
  status: ImportExportJobStatus;
  /** 0..1 */
  progress: number;
  message: string;
  /** Empty unless status is 'failed'. */
  error: string;
  project: number | null;
  /** Export format name, or the upload's suffix for imports ('zip', 'slp', 'pkg.slp'). */
  format: string;
  /** Export: {labels}; import: {name} when a project name was given. */
  options: Record<string, unknown>;
  input_name: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  download_url: string | null;
  /** A finished import's report, e.g. a DeepLabCut project's videos/ files it added or skipped. */
  result?: ImportJobResult;
}

export interface ImportJobResult {
  videos_added?: string[];
  videos_skipped?: { name: string; reason: string }[];
}

/** GET /api/interchange/formats/ */
export interface InterchangeFormat {
  name: string;
  label: string;
  import: boolean;
  export: boolean;
}

/** POST /api/projects/{id}/exports/ */
/** Which frames an export includes: approved + submitted (default), approved only, or all. */
export type ExportLabelSet = 'approved_submitted' | 'approved' | 'all';

export interface ExportRequest {
  format: string;
  labels?: ExportLabelSet;
  /** Older spelling of labels: 'approved'. */
  approved_only?: boolean;
}

// --- team labeling: locks, presence, review, picking, dashboard ----------------

/** Every status a frame row can have (`todo` = picked, never labeled). */
export type TeamFrameStatus = FrameStatus | 'todo';

export interface ReviewComment {
  id: number;
  author: User | null;
  decision: 'approve' | 'reject';
  text: string;
  /** Node the comment is pinned to, or null. */
  node: number | null;
  created_at: string;
  resolved: boolean;
}

/** The team fields every LabeledFrame JSON carries besides the base ones. */
export interface LabeledFrameTeam extends Omit<LabeledFrame, 'status'> {
  status: TeamFrameStatus;
  assignee?: User | null;
  locked_by?: User | null;
  lock_expires_at?: string | null;
  submitted_at?: string | null;
  latest_comment?: ReviewComment | null;
}

/** POST/GET lock and GET presence rows. */
export interface FrameLock {
  user: User;
  video: number;
  frame_index: number;
  since: string | null;
  expires: string | null;
}

export interface NextFrame {
  video: number;
  frame_index: number;
  lock_expires_at: string;
  reason: 'rejected' | 'todo' | 'unassigned';
}

export interface FrameSummary {
  id: number;
  video: number;
  video_name: string;
  frame_index: number;
  status: TeamFrameStatus;
  version: number;
  assignee: User | null;
  submitted_at: string | null;
  latest_comment: ReviewComment | null;
}

/** GET .../history/ rows (the backend sends `user` as a username string). */
export interface LabelHistoryRow {
  id: number;
  user: string | null;
  created_at: string;
  action: 'create' | 'update' | 'submit' | 'approve' | 'reject' | string;
  version: number;
  before: Instance[] | null;
  after: Instance[] | null;
}

export interface ReviewDecision {
  decision: 'approve' | 'reject';
  comment?: string;
  node?: number | null;
  version?: number;
}

export interface DashboardAnnotator {
  user: User;
  labeled: number;
  submitted: number;
  approved: number;
  rejected: number;
}

export interface DashboardVideo {
  id: number;
  name: string;
  frame_count: number | null;
  by_status: Record<TeamFrameStatus, number>;
}

export interface Dashboard {
  by_status: Record<TeamFrameStatus, number>;
  annotators: DashboardAnnotator[];
  videos: DashboardVideo[];
}

export type PickMethod = 'uniform' | 'random' | 'kmeans';

export interface PickJob {
  id: number;
  project: number;
  video: number;
  method: PickMethod;
  count: number;
  seed: number;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  progress: number;
  message: string;
  error: string;
  frames: number[];
  created_frames: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** PUT skeleton body: new nodes have no id; pairs may name new nodes by name. */
export interface SkeletonPut {
  nodes: { id?: number; name: string; color: string }[];
  edges: [number | string, number | string][];
  symmetries: [number | string, number | string][];
}

// --- inference runs and active-learning suggestions (backend/inference) --------

export type InferenceRunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export type SmoothingMethod = 'median' | 'savgol';

export interface Smoothing {
  method: SmoothingMethod;
  /** Odd number of frames, 3..101. */
  window: number;
}

/** `summary` of a succeeded run (empty object before). */
export interface InferenceSummary {
  frames?: number;
  mean_score?: number | null;
  /** Model node name → mean peak confidence. */
  per_node_mean_score?: Record<string, number | null>;
  seconds?: number;
  frames_per_second?: number | null;
  /** Set when the labeled video could not be rendered (the predictions stand). */
  video_error?: string;
  [key: string]: unknown;
}

/** Export formats of a succeeded run: `dlc-csv`, `dlc-h5`, `slp`, `video`. */
export type InferenceExportFormat = 'dlc-csv' | 'dlc-h5' | 'slp' | 'video';

export interface InferenceRun {
  id: number;
  project: number;
  model_version: number;
  model_version_number: number;
  video: number;
  video_name: string;
  status: InferenceRunStatus;
  attempt: number;
  /** 0..1 */
  progress: number;
  frames_done: number;
  eta_seconds: number | null;
  message: string;
  error: string;
  worker: string;
  heartbeat_at: string | null;
  cancel_requested: boolean;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** Username. */
  created_by: string | null;
  smoothing: Smoothing | null;
  render_video: boolean;
  summary: InferenceSummary;
  suggestions_config: { n?: number; weights?: Record<string, number>; min_gap?: number };
  /** Format → download URL; empty until the run succeeded. */
  exports: Partial<Record<InferenceExportFormat | string, string>>;
}

/** POST /api/projects/{id}/inference-runs/ → 201 InferenceRun[] (one per video). */
export interface InferenceRunCreate {
  model_version: number;
  videos: number[];
  smoothing?: Smoothing | null;
  /** Number of suggestions; absent = the project's active-learning setting. */
  suggest?: number | null;
  render_video?: boolean;
}

/** GET /api/inference-runs/{id}/predictions/?start=&stop=&smoothed= */
export interface PredictionRange {
  run: number;
  /** The model version's number. */
  model_version: number;
  smoothed: boolean;
  node_names: string[];
  /** Project node id per model node (null: node no longer in the skeleton). */
  node_ids: (number | null)[];
  start: number;
  stop: number;
  frames: { frame_index: number; points: ([number | null, number | null, number | null] | null)[] }[];
}

export interface PredictedPoint {
  node: number;
  x: number;
  y: number;
  score: number | null;
}

/** GET /api/videos/{id}/predictions/{frame}/ (404 when no run predicted the video). */
export interface FramePrediction {
  run: number;
  model_version: { id: number; number: number };
  frame_index: number;
  points: PredictedPoint[];
}

export type SuggestionStatus = 'pending' | 'accepted' | 'dismissed' | 'superseded';

/** Strategy names of the sub-scores and weights. */
export type ALStrategy = 'uncertainty' | 'disagreement' | 'temporal' | 'diversity';

export interface Suggestion {
  id: number;
  run: number;
  video: number;
  video_name: string;
  frame_index: number;
  /** Combined score, 0..1 (higher = more worth labeling). */
  score: number;
  /** Strategy → sub-score in 0..1. */
  subscores: Partial<Record<ALStrategy | string, number>>;
  /** Human-readable reasons, most important first. */
  reasons: string[];
  status: SuggestionStatus;
  model_version: number;
  model_version_number: number;
  /** Username or null. */
  assignee: string | null;
  decided_by: string | null;
  decided_at: string | null;
  labeled_frame: number | null;
  provenance: Record<string, unknown>;
  created_at: string;
}

/** POST /api/suggestions/{id}/accept/ (no points: the prediction is saved as is). */
export interface SuggestionAccept {
  points?: Point[];
  /** The frame's label version the user saw. */
  version?: number;
}

/** GET/PUT /api/projects/{id}/active-learning-settings/ */
export interface ActiveLearningSettings {
  weights: Record<ALStrategy, number>;
  n_suggestions: number;
  min_gap: number;
  updated_at?: string;
}

/** GET /api/projects/{id}/invitations/ (owners): a pending invite link; its token is never shown again. */
export interface Invitation {
  id: number;
  role: Role;
  created_by: User | null;
  created_at: string;
  expires_at: string;
}

/** POST /api/projects/{id}/invitations/: the one time the token is shown. */
export interface InvitationCreated extends Invitation {
  token: string;
}

/** GET /api/invitations/{token}/: what the holder of a link sees before accepting. */
export interface InvitePreview {
  project_name: string;
  role: Role;
  invited_by: string | null;
  expires_at: string;
}

/** POST /api/invitations/{token}/accept/ (empty body when logged in; a new account otherwise). */
export interface InviteAccept {
  username?: string;
  password?: string;
  email?: string;
}

export interface InviteAccepted {
  project: number;
  role: Role;
  user: User;
}

/** GET /api/admin/users/ (staff only). */
export interface AdminUser {
  id: number;
  username: string;
  email: string;
  is_active: boolean;
  is_staff: boolean;
  is_superuser: boolean;
  date_joined: string;
  last_login: string | null;
}

export interface AdminUserCreate {
  username: string;
  password: string;
  email?: string;
  is_staff?: boolean;
}

/** POST /api/admin/users/{id}/password/: the generated password when none was typed (shown once). */
export interface AdminPasswordSet {
  generated_password: string | null;
}
