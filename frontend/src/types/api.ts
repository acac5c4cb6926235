/**
 * The names the app uses for the REST API's shapes. Every type here is an alias
 * onto `schema.gen.ts`, which is generated from the backend's OpenAPI schema
 * (`make api-types`; tests/test_api_contract.py fails when it is out of date),
 * so a serializer change shows up here as a type error instead of a runtime
 * surprise. To change a shape, change the serializer (or its schema annotation
 * in the backend) and regenerate; do not write API types by hand.
 *
 * Request bodies are the schema's `...Request` components; responses mark
 * server-set fields `readonly`.
 */
import type { components } from './schema.gen';

type Schema = components['schemas'];

// --- accounts and projects ----------------------------------------------------

export type Role = Schema['RoleEnum'];
/** Another person, as a member, author, assignee or lock holder. */
export type User = Schema['UserRef'];
/** The logged-in user (auth/me, login, invite accept): `is_staff` = site admin. */
export type SessionUser = Schema['SessionUser'];
export type MeResponse = Schema['Me'];
export type LoginResponse = Schema['Login'];

/** Review status of a labeled frame (`todo` = picked, never labeled). */
export type FrameStatus = Schema['FrameStatusEnum'];
/** @deprecated same as FrameStatus, kept for the team views. */
export type TeamFrameStatus = FrameStatus;
export type FrameStatusCounts = Schema['FrameStatusCounts'];

export type ProjectCounts = Schema['ProjectCounts'];
export type Project = Schema['Project'];
export type ProjectCreate = Schema['ProjectRequest'];
/** An animal identity of a project: instances name it in `track`; drawn in `color`. */
export type Track = Schema['Track'];
export type Member = Schema['Membership'];

export type SkeletonNode = Schema['SkeletonNode'];
export type Skeleton = Schema['Skeleton'];
/** A pair of node ids (an edge or a symmetry). */
export type NodePair = Skeleton['edges'][number];
/** PUT skeleton body: new nodes have no id; pairs may name new nodes by name. */
export type SkeletonPut = Schema['SkeletonPutRequest'];

// --- videos and labels ----------------------------------------------------------

export type VideoStatus = Schema['VideoStatusEnum'];
export type Video = Schema['Video'];

/** 2 = visible, 1 = occluded (position estimated), 0 = not in frame (x, y ignored). */
export type Visibility = Schema['VisibilityEnum'];
export type Point = Schema['Point'];
export type InstanceSource = Schema['SourceEnum'];
/** An instance as the server sends it (saved, so it has an id). */
export type SavedInstance = Schema['Instance'];
/** An instance as the editor holds it: one not saved yet has no id. */
export type Instance = Omit<Schema['Instance'], 'id'> & { readonly id?: number };
export type LabeledFrame = Schema['LabeledFrame'];
/** @deprecated same as LabeledFrame, which carries the team fields. */
export type LabeledFrameTeam = LabeledFrame;
export type LabelsPut = Schema['LabelsSaveRequest'];
/** GET .../history/ rows (`user` is a username). */
export type LabelHistoryRow = Schema['History'];

// --- team labeling: locks, presence, review, picking, dashboard -----------------

export type ReviewComment = Schema['Comment'];
/** POST/GET lock and GET presence rows. */
export type FrameLock = Schema['Lock'];
export type NextFrame = Schema['NextFrame'];
export type FrameSummary = Schema['FrameSummary'];
export type ReviewDecision = Schema['ReviewRequest'];
export type DashboardAnnotator = Schema['DashboardAnnotator'];
export type DashboardVideo = Schema['DashboardVideo'];
export type Dashboard = Schema['Dashboard'];
export type PickMethod = Schema['PickMethodEnum'];
export type PickJob = Schema['PickJob'];

// --- training and model versions ------------------------------------------------

export type TrainPreset = Schema['PresetEnum'];
/** A training config (ml_worker TrainConfig.to_dict()). */
export type TrainConfig = Schema['TrainConfig'];
/** GET /api/training-presets/ */
export type TrainingPresets = Schema['TrainingPresets'];
export type TrainingJobStatus = Schema['JobStatusEnum'];
/** One validation point of a job's loss history. */
export type LossHistoryEntry = TrainingJob['history'][number];
export type TrainingJob = Schema['TrainingJob'];
/** POST /api/projects/{id}/training-jobs/ */
export type TrainingJobCreate = Schema['TrainingJobCreateRequest'];
/** Encoder pretraining on a project's video frames (ml_worker.pretrain) and its start request. */
export type PretrainJob = Schema['PretrainJob'];
export type PretrainJobCreate = Schema['PretrainJobCreateRequest'];
/** Evaluation metrics of a model version; any key may be missing (no validation frames). */
export type ModelMetrics = Schema['ModelMetrics'];
export type ModelVersionConfig = Schema['ModelVersionConfig'];
export type ModelVersion = Schema['ModelVersion'];
/** A project's pinned test set (frames no training run sees) and its pin request. */
export type TestSet = Schema['TestSet'];
export type TestFrame = Schema['TestFrame'];
export type TestSetPin = Schema['TestSetPinRequest'];

// --- import / export (backend/interchange) ---------------------------------------

export type ImportExportJobStatus = Schema['JobStatusEnum'];
/** GET /api/import-export-jobs/{id}/ (also the 202 body of POST imports / exports). */
export type ImportExportJob = Schema['Job'];
export type ImportJobResult = Schema['ImportResult'];
/** GET /api/interchange/formats/ */
export type InterchangeFormat = Schema['Format'];
/** Which frames an export includes: approved + submitted (default), approved only, or all. */
export type ExportLabelSet = Schema['LabelsEnum'];
/** POST /api/projects/{id}/exports/ */
export type ExportRequest = Schema['ExportRequestRequest'];

// --- inference runs and active-learning suggestions (backend/inference) ----------

export type InferenceRunStatus = Schema['JobStatusEnum'];
export type SmoothingMethod = Schema['SmoothingMethodEnum'];
export type Smoothing = Schema['Smoothing'];
/** `summary` of a succeeded run (empty object before). */
export type InferenceSummary = Schema['InferenceSummary'];
/** Export formats of a succeeded run. */
export type InferenceExportFormat = keyof Schema['InferenceExports'];
export type InferenceRun = Schema['InferenceRun'];
/** POST /api/projects/{id}/inference-runs/ → 201 InferenceRun[] (one per video). */
export type InferenceRunCreate = Schema['InferenceRunCreateRequest'];
/** Tracker settings (a request may send any subset; a run holds all of them). */
export type TrackingSettings = Schema['TrackingSettings'];
export type TrackingSimilarity = Schema['SimilarityEnum'];
export type TrackingMotion = Schema['MotionEnum'];
/** `summary.tracking`: tracking's own speed, the number of tracks, the settings used. */
export type TrackingSummary = NonNullable<Schema['InferenceSummary']['tracking']>;
/** POST /api/inference-runs/{id}/retrack/ → 202 RetrackJob (also `run.retrack`, the newest). */
export type RetrackJob = Schema['RetrackJob'];
export type RetrackRequest = Schema['RetrackRequest'];
/** GET /api/inference-runs/{id}/predictions/?start=&stop=&smoothed= */
export type PredictionRange = Schema['PredictionRange'];
export type PredictedPoint = Schema['PredictionPoint'];
/** GET /api/videos/{id}/predictions/{frame}/ */
export type FramePrediction = Schema['FramePrediction'];
/** GET /api/inference-runs/{id}/tracks/: rows per track, spots to check, locks, version. */
export type TracksTimeline = Schema['TracksTimeline'];
export type TrackRow = TracksTimeline['tracks'][number];
export type SuspiciousSpot = TracksTimeline['suspicious'][number];
export type TrackLockInfo = Schema['TrackLockInfo'];
/** POST /api/inference-runs/{id}/tracks/edits/ (with `version`) → 201 TrackEditResponse; 409 when stale. */
export type TrackEditRequest = Schema['TrackEditRequestRequest'];
export type TrackEditOp = Schema['OpEnum'];
export type TrackEditResponse = Schema['TrackEditResponse'];
export type TrackEditInfo = Schema['TrackEditInfo'];
export type TrackLockResponse = Schema['TrackLock'];
export type TrackAcceptRequest = Schema['TrackAcceptRequestRequest'];
export type TrackAcceptResult = Schema['TrackAccept'];
export type SuggestionStatus = Schema['SuggestionStatusEnum'];
/** Strategy names of the sub-scores and weights. */
export type ALStrategy = keyof Schema['StrategyWeights'];
export type Suggestion = Schema['Suggestion'];
/** POST /api/suggestions/{id}/accept/ (no points: the prediction is saved as is). */
export type SuggestionAccept = Schema['SuggestionAcceptRequest'];
/** GET/PUT /api/projects/{id}/active-learning-settings/ */
export type ActiveLearningSettings = Schema['ActiveLearningSettings'];

// --- invitations and site admin ---------------------------------------------------

export type Invitation = Schema['Invitation'];
/** POST /api/projects/{id}/invitations/: the one time the token is shown. */
export type InvitationCreated = Schema['InvitationCreated'];
/** GET /api/invitations/{token}/: what the holder of a link sees before accepting. */
export type InvitePreview = Schema['InvitePreview'];
/** POST /api/invitations/{token}/accept/ (empty body when logged in; a new account otherwise). */
export type InviteAccept = Schema['InviteAcceptRequest'];
export type InviteAccepted = Schema['InviteAccepted'];
/** GET /api/admin/users/ (staff only). */
export type AdminUser = Schema['AdminUser'];
export type AdminUserCreate = Schema['AdminUserCreateRequest'];
/** POST /api/admin/users/{id}/password/: the generated password when none was typed (shown once). */
export type AdminPasswordSet = Schema['AdminPasswordSet'];
