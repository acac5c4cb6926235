"""Training API shapes. The create serializers check every advanced setting against
``ml_worker.config.LIMITS`` (the table the worker checks too) and answer 400 naming
the setting and its allowed range."""

from __future__ import annotations

from typing import Any, TypedDict, get_type_hints

from rest_framework import serializers

from backend.common.schema import returns, typed_json
from backend.training.models import ModelVersion, TrainingJob
from ml_worker.config import PRESETS  # pure python: no torch here
from ml_worker.config import TrainConfig as _TrainConfig

# --- shapes of the JSON this app sends (the API contract; see backend/common/schema.py) ---

# Every TrainConfig field; rows written by older versions may lack newer ones.
TrainConfigShape = TypedDict("TrainConfigShape", get_type_hints(_TrainConfig), total=False)  # type: ignore[misc]


class LossHistoryEntry(TypedDict):
    """One validation point of a job; ``step`` counts across stages."""

    stage: str
    epoch: int | None
    step: int
    train_loss: float | None
    val_loss: float | None
    elapsed_seconds: float | None


class SnapshotRef(TypedDict):
    id: int
    sha256: str
    frame_count: int


class TrainingSplit(TypedDict, total=False):
    """Frame keys per split; empty until the worker has made it. ``val`` picks the
    checkpoint and stops early; ``test`` (the project's pinned test set) is only scored."""

    train: list[str]
    val: list[str]
    test: list[str]


class UnlabeledSources(TypedDict, total=False):
    """What a job took from unlabeled frames (backend/training/unlabeled.py): the
    pretraining job its encoders started from, the inference runs its pseudo-labels came
    from (threshold, frame count and keys). Absent: the option was off."""

    pretrained_encoder: dict[str, Any]
    pseudo_labels: dict[str, Any]


class HeldOutMetrics(TypedDict, total=False):
    """ml_worker.metrics.compute_metrics on one set of held-out frames; a value is None
    with no labeled point. ``pck_<t>px`` exists per threshold, hence open."""

    rmse_px: float | None
    mean_error_px: float | None
    median_error_px: float | None
    pck_2px: float | None
    pck_5px: float | None
    pck_10px: float | None
    per_node_rmse_px: dict[str, float | None]
    frame_keys: list[str]
    n_frames: int
    n_points: int


class TestMetrics(HeldOutMetrics, total=False):
    """The pinned test frames' metrics. ``seen_by_parent_frames``: those test frames the
    warm start's parent models trained or validated on (pinned after they were trained)."""

    seen_by_parent_frames: list[str]


class ModelMetrics(HeldOutMetrics, total=False):
    """The validation frames' metrics, the run's totals and, when the project had a test
    set, the test frames' metrics under ``test`` (frames this training never saw)."""

    test: TestMetrics
    steps: int
    train_seconds: float
    stop_reason: str
    # models with identities only (ml_worker.identity.identity_metrics)
    identity_accuracy: float | None
    identity_top1_accuracy: float | None
    identity_frame_accuracy: float | None
    identity_matched_instances: int
    identity_frames: int
    identity_names: list[str]


class ModelVersionConfig(TypedDict, total=False):
    """The artifact's config.json (ml_worker.artifacts), open to keys added later."""

    node_names: list[str]
    edges: list[Any]
    symmetries: list[Any]
    preprocessing: dict[str, Any]
    geometry: dict[str, Any]
    train_config: TrainConfigShape
    extra: dict[str, Any]


def _train_config_field(**kwargs: Any) -> serializers.JSONField:
    return typed_json(TrainConfigShape, name="TrainConfig", **kwargs)


# GET /api/training-presets/: each preset's full config, by preset name.
TrainingPresetsSerializer = type(
    "TrainingPresetsSerializer",
    (serializers.Serializer,),
    {name: _train_config_field(read_only=True) for name in PRESETS},
)


class TrainingJobSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(
        source="created_by.username", default=None, read_only=True, allow_null=True
    )
    config = _train_config_field(read_only=True)
    history = typed_json(list[LossHistoryEntry], read_only=True)
    split = typed_json(TrainingSplit, name="TrainingSplit", read_only=True)
    unlabeled = typed_json(UnlabeledSources, name="UnlabeledSources", read_only=True)
    snapshot = serializers.SerializerMethodField()
    model_version = serializers.SerializerMethodField()

    class Meta:
        model = TrainingJob
        fields = [
            "id", "project", "status", "preset", "config", "progress", "stage", "epoch", "step",
            "total_steps", "eta_seconds", "history", "message", "error", "worker", "attempt",
            "cancel_requested", "heartbeat_at", "memory_mb", "created_at", "started_at",
            "finished_at",
            "created_by", "parent_version", "snapshot", "split", "model_version", "unlabeled",
        ]  # fmt: skip
        read_only_fields = fields

    @returns(SnapshotRef, name="SnapshotRef")
    def get_snapshot(self, job: TrainingJob) -> dict:
        return {
            "id": job.snapshot_id,
            "sha256": job.snapshot.sha256,
            "frame_count": job.snapshot.frame_count,
        }

    def get_model_version(self, job: TrainingJob) -> int | None:
        version = getattr(job, "model_version", None)
        return version.id if version else None


class TrainingSettingsSerializer(serializers.Serializer):
    """A preset plus advanced settings, validated as the worker will (bounds, known keys)."""

    preset = serializers.ChoiceField(choices=["fast", "balanced", "accurate"], default="balanced")
    advanced = serializers.DictField(required=False, default=dict)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from ml_worker.config import ConfigError, job_config  # pure python: no torch here

        try:
            job_config(attrs["preset"], attrs.get("advanced"))
        except ConfigError as exc:
            raise serializers.ValidationError({"advanced": {exc.field: [exc.reason]}}) from None
        return attrs


class TrainingJobCreateSerializer(TrainingSettingsSerializer):
    parent_version = serializers.IntegerField(required=False, allow_null=True)
    include_unreviewed = serializers.BooleanField(default=True)


class TestFrameSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The LabeledFrame id.")
    video = serializers.IntegerField()
    frame_index = serializers.IntegerField()
    status = serializers.CharField()


class TestSetSerializer(serializers.Serializer):
    """The pinned test set (testset.testset_to_dict) and how many labeled frames could be in it."""

    frames = TestFrameSerializer(many=True)
    eligible_frames = serializers.IntegerField()


class TestSetPinSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=100_000)
    seed = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)


class ModelVersionSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    job = serializers.PrimaryKeyRelatedField(read_only=True)
    metrics = typed_json(ModelMetrics, name="ModelMetrics", open_keys=True, read_only=True)
    config = typed_json(
        ModelVersionConfig, name="ModelVersionConfig", open_keys=True, read_only=True
    )

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "project",
            "number",
            "job",
            "parent",
            "metrics",
            "config",
            "created_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, version: ModelVersion) -> str | None:
        return f"/api/model-versions/{version.id}/download/" if version.download else None
