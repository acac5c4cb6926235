"""Training API shapes. The create serializers check every advanced setting against
``ml_worker.config.LIMITS`` (the table the worker checks too) and answer 400 naming
the setting and its allowed range."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from backend.training.models import ModelVersion, TrainingJob


class TrainingJobSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)
    snapshot = serializers.SerializerMethodField()
    model_version = serializers.SerializerMethodField()

    class Meta:
        model = TrainingJob
        fields = [
            "id", "project", "status", "preset", "config", "progress", "stage", "epoch", "step",
            "total_steps", "eta_seconds", "history", "message", "error", "worker", "attempt",
            "cancel_requested", "heartbeat_at", "memory_mb", "created_at", "started_at",
            "finished_at",
            "created_by", "parent_version", "snapshot", "split", "model_version",
        ]  # fmt: skip
        read_only_fields = fields

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


class ModelVersionSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    job = serializers.PrimaryKeyRelatedField(read_only=True)

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
