"""Label snapshots, training jobs and the model versions they publish.

A job trains on a LabelSnapshot frozen when it was submitted, so annotators
keep labeling while it runs and the result can be reproduced. A job publishes
at most one ModelVersion, and only when it succeeded.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backend.common.jobs import Job
from backend.projects.models import Project


class LabelSnapshot(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="snapshots")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sha256 = models.CharField(max_length=64)
    frame_count = models.PositiveIntegerField()
    content = models.JSONField()

    class Meta:
        ordering = ["-id"]


class TrainingJob(Job):
    """One training run on a frozen snapshot; the lifecycle fields come from :class:`Job`."""

    job_label = "job"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="training_jobs")
    snapshot = models.ForeignKey(LabelSnapshot, on_delete=models.PROTECT, related_name="jobs")
    parent_version = models.ForeignKey(
        "ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    preset = models.CharField(max_length=20)
    config = models.JSONField()
    split = models.JSONField(default=dict)
    stage = models.CharField(max_length=32, blank=True, default="")
    epoch = models.PositiveIntegerField(default=0)
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    history = models.JSONField(default=list)
    # Highest memory the worker saw the job use (MB): tells an out-of-memory kill from a restart.
    memory_mb = models.PositiveIntegerField(null=True, blank=True)
    # What the unlabeled frames gave this job: {"pretrained_encoder": {...}, "pseudo_labels":
    # {...}} (backend/training/unlabeled.py), so a model's provenance is on record.
    unlabeled = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["created_by", "status"], name="trainingjob_user_status")]

    def lost_retry_refusal(self) -> str:
        from backend.training.services import no_retry_reason

        return no_retry_reason(self)

    def enqueue(self) -> None:
        from backend.training import services

        services._enqueue_on_commit(self)


class ModelVersion(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="model_versions")
    job = models.OneToOneField(TrainingJob, on_delete=models.CASCADE, related_name="model_version")
    number = models.PositiveIntegerField()
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    artifact_dir = models.CharField(max_length=500)
    download = models.CharField(max_length=500, blank=True, default="")
    metrics = models.JSONField(default=dict)
    config = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="unique_version_number")
        ]


class PretrainJob(Job):
    """Self-supervised pretraining of the pose encoders on a project's video frames
    (ml_worker.pretrain); training jobs of the project warm-start from the latest
    succeeded one when their config asks (``use_pretrained_encoder``)."""

    job_label = "pretraining job"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="pretrain_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    config = models.JSONField()  # PretrainConfig.to_dict() plus "frames" (how many to sample)
    weights = models.CharField(max_length=500, blank=True, default="")  # storage key
    result = models.JSONField(default=dict, blank=True)  # steps, seconds, losses, frames

    class Meta:
        ordering = ["-id"]
        constraints = [
            # one pretraining at a time per project: a second would only race the first
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_active_pretrain_per_project",
            )
        ]
