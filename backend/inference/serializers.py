from __future__ import annotations

from typing import Any, Literal, TypedDict

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.common.schema import returns, typed_json
from backend.inference.models import ActiveLearningSettings, InferenceRun, RetrackJob, Suggestion
from backend.labels.serializers import PointSerializer
from backend.training.serializers import TrainingSettingsSerializer

# --- shapes of the JSON this app sends (the API contract; see backend/common/schema.py) ---


class Smoothing(TypedDict):
    method: Literal["median", "savgol"]
    window: int  # odd, 3..101


class TrackingSettings(TypedDict, total=False):
    """ml_worker.tracking.TrackerConfig fields; bounds in backend/inference/tracking.py.
    A request may send any subset; a run stores all of them."""

    window: int
    similarity: Literal["oks", "centroid", "iou"]
    motion: Literal["none", "constant_velocity", "kalman"]
    max_tracks: int | None  # animals; null: unknown (no cap, no stitching)
    min_instance_score: float
    min_points: int
    min_similarity: float
    oks_sigma: float
    velocity_smoothing: float
    max_extrapolation: int
    kalman_process_noise: float
    kalman_measurement_noise: float
    ambiguity_ratio: float | None
    stitch: bool
    min_tracklet_length: int
    identity: bool  # a model with identities names the tracks (ml_worker.tracking.identity)
    identity_window: int


class TrackingSummary(TypedDict):
    """ml_worker.inference_run.tracking_summary: tracking's own speed, apart from inference."""

    frames_per_second: float
    seconds: float
    tracks: int
    settings: TrackingSettings


class RetrackResult(TypedDict, total=False):
    """A re-track job's :class:`TrackingSummary`: empty until the job succeeded."""

    frames_per_second: float
    seconds: float
    tracks: int
    settings: TrackingSettings


class InferenceSummary(TypedDict, total=False):
    """ml_worker.inference_run.summarize of a succeeded run (empty before), plus
    ``video_error`` when the labeled video could not be rendered and ``tracking``
    when the run was tracked (or re-tracked)."""

    frames: int
    mean_score: float | None
    per_node_mean_score: dict[str, float | None]
    seconds: float
    frames_per_second: float | None
    video_error: str
    tracking: TrackingSummary


class StrategyWeights(TypedDict):
    uncertainty: float
    disagreement: float
    temporal: float
    diversity: float
    instance_count: float
    swap_candidate: float
    identity_disagreement: float
    pose_outlier: float
    ensemble_disagreement: float


class SuggestionsConfig(TypedDict, total=False):
    n: int
    weights: StrategyWeights
    min_gap: int
    selection: Literal["greedy", "clusters"]


# Export format -> download URL; empty until the run succeeded ("video" only when rendered).
InferenceExports = TypedDict(
    "InferenceExports",
    {"dlc-csv": str, "dlc-h5": str, "slp": str, "nwb": str, "video": str},
    total=False,
)


class ModelVersionRef(TypedDict):
    id: int
    number: int


class PredictedRangeInstance(TypedDict):
    track: str | None  # identity name, null without tracking
    score: float | None  # instance confidence, null when the model gives none
    # Per model node (the range's node_names order): [x, y, score], or null where not found.
    points: list[list[float | None] | None]


class PredictedFrame(TypedDict):
    frame_index: int
    instances: list[PredictedRangeInstance]  # the animals found, best first; [] for none


class RetrackJobSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(
        source="created_by.username", default=None, read_only=True, allow_null=True
    )
    tracking = typed_json(TrackingSettings, name="TrackingSettings", read_only=True)
    result = typed_json(RetrackResult, name="RetrackResult", read_only=True)

    class Meta:
        model = RetrackJob
        fields = [
            "id", "run", "status", "progress", "message", "error", "created_at", "started_at",
            "finished_at", "created_by", "tracking", "result",
        ]  # fmt: skip
        read_only_fields = fields


class InferenceRunSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(
        source="created_by.username", default=None, read_only=True, allow_null=True
    )
    smoothing = typed_json(Smoothing, name="Smoothing", read_only=True, allow_null=True)
    summary = typed_json(InferenceSummary, name="InferenceSummary", open_keys=True, read_only=True)
    suggestions_config = typed_json(SuggestionsConfig, name="SuggestionsConfig", read_only=True)
    model_version_number = serializers.IntegerField(source="model_version.number", read_only=True)
    video_name = serializers.CharField(source="video.name", read_only=True)
    exports = serializers.SerializerMethodField()
    tracking = typed_json(TrackingSettings, name="TrackingSettings", read_only=True, allow_null=True)
    # The newest re-tracking of this run (null: never re-tracked).
    retrack = serializers.SerializerMethodField()

    class Meta:
        model = InferenceRun
        fields = [
            "id", "project", "model_version", "model_version_number", "video", "video_name",
            "status", "attempt", "progress", "frames_done", "eta_seconds", "message", "error",
            "worker", "heartbeat_at", "cancel_requested", "created_at", "started_at",
            "finished_at", "created_by", "smoothing", "render_video", "tracking", "summary",
            "suggestions_config", "exports", "retrack",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(RetrackJobSerializer(allow_null=True))
    def get_retrack(self, run: InferenceRun) -> dict[str, Any] | None:
        newest = next(iter(run.retrack_jobs.all()), None)  # prefetched, newest first
        return RetrackJobSerializer(newest).data if newest is not None else None

    @returns(InferenceExports, name="InferenceExports")
    def get_exports(self, run: InferenceRun) -> dict[str, str]:
        if run.status != InferenceRun.Status.SUCCEEDED:
            return {}
        formats = ["dlc-csv", "dlc-h5", "slp", "nwb"] + (["video"] if run.video_file else [])
        return {f: f"/api/inference-runs/{run.id}/export/{f}/" for f in formats}


class SmoothingSerializer(serializers.Serializer):
    method = serializers.CharField()
    window = serializers.IntegerField(default=5)


class InferenceRunCreateSerializer(serializers.Serializer):
    model_version = serializers.IntegerField()
    videos = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=50)
    smoothing = SmoothingSerializer(required=False, allow_null=True)
    suggest = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=500)
    render_video = serializers.BooleanField(default=True)
    # Tracker settings (any subset; max_tracks defaults to the project's animal count);
    # null or absent: no tracking.
    tracking = typed_json(TrackingSettings, name="TrackingSettings", required=False, allow_null=True)


class RetrackSerializer(serializers.Serializer):
    # Absent or null: the run's own settings (or the defaults, for a run never tracked).
    tracking = typed_json(TrackingSettings, name="TrackingSettings", required=False, allow_null=True)


class SuggestionSerializer(serializers.ModelSerializer):
    video_name = serializers.CharField(source="video.name", read_only=True)
    model_version = serializers.IntegerField(source="run.model_version_id", read_only=True)
    model_version_number = serializers.IntegerField(
        source="run.model_version.number", read_only=True
    )
    assignee = serializers.CharField(
        source="assignee.username", default=None, read_only=True, allow_null=True
    )
    decided_by = serializers.CharField(
        source="decided_by.username", default=None, read_only=True, allow_null=True
    )
    subscores = typed_json(dict[str, float], read_only=True)
    reasons = typed_json(list[str], read_only=True)
    provenance = typed_json(dict[str, Any], read_only=True)

    class Meta:
        model = Suggestion
        fields = [
            "id", "run", "video", "video_name", "frame_index", "score", "subscores", "reasons",
            "status", "model_version", "model_version_number", "assignee", "decided_by",
            "decided_at", "labeled_frame", "provenance", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class SuggestionAcceptSerializer(serializers.Serializer):
    points = PointSerializer(many=True, required=False, allow_null=True)
    # Indices into the frame prediction's instances to add (default: all of them).
    instances = serializers.ListField(
        child=serializers.IntegerField(min_value=0), required=False, allow_null=True,
        min_length=1, max_length=64,
    )  # fmt: skip
    version = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class SuggestionAssignSerializer(serializers.Serializer):
    username = serializers.CharField(allow_null=True, allow_blank=True)


class RetrainSerializer(TrainingSettingsSerializer):
    pass


class ActiveLearningSettingsSerializer(serializers.ModelSerializer):
    weights = typed_json(StrategyWeights, name="StrategyWeights", required=False)
    # Declared bounds: the model's PositiveIntegerField range differs between SQLite and
    # PostgreSQL, which made the OpenAPI schema (and the generated types) depend on the DB.
    n_suggestions = serializers.IntegerField(min_value=0, max_value=500, required=False)
    min_gap = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)

    class Meta:
        model = ActiveLearningSettings
        fields = ["weights", "n_suggestions", "min_gap", "selection", "updated_at"]
        read_only_fields = ["updated_at"]


class PredictionPointSerializer(serializers.Serializer):
    node = serializers.IntegerField()
    x = serializers.FloatField()
    y = serializers.FloatField()
    score = serializers.FloatField(allow_null=True)


class PredictedInstanceSerializer(serializers.Serializer):
    track = serializers.CharField(allow_null=True)
    score = serializers.FloatField(allow_null=True)
    points = PredictionPointSerializer(many=True)  # on project node ids; nodes not found left out


class FramePredictionSerializer(serializers.Serializer):
    run = serializers.IntegerField(allow_null=True)  # null (and no instances): no model ran yet
    model_version = typed_json(ModelVersionRef, name="ModelVersionRef", allow_null=True)
    frame_index = serializers.IntegerField()
    instances = PredictedInstanceSerializer(many=True)


class PredictionRangeSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    model_version = serializers.IntegerField()
    smoothed = serializers.BooleanField()
    node_names = serializers.ListField(child=serializers.CharField())
    node_ids = serializers.ListField(child=serializers.IntegerField(allow_null=True))
    start = serializers.IntegerField()
    stop = serializers.IntegerField()
    frames = typed_json(list[PredictedFrame])
