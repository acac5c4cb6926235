"""Labels: a LabeledFrame per (video, frame index) holding Instances, with a full history.

Points are stored as JSON on the Instance, ``[{"node": id, "x", "y", "visibility"}]``,
keyed by stable node ids (docs/decisions/0001-instance-points-encoding.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backend.videos.models import Video


class LabeledFrame(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress"
        SUBMITTED = "submitted"
        APPROVED = "approved"
        REJECTED = "rejected"

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="labeled_frames")
    frame_index = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    version = models.PositiveIntegerField(default=0)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["video_id", "frame_index"]
        constraints = [
            models.UniqueConstraint(fields=["video", "frame_index"], name="unique_labeled_frame")
        ]


class Instance(models.Model):
    class Source(models.TextChoices):
        HUMAN = "human"
        MODEL = "model"

    labeled_frame = models.ForeignKey(
        LabeledFrame, on_delete=models.CASCADE, related_name="instances"
    )
    track = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001 - None means "no track"
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.HUMAN)
    points = models.JSONField(default=list)

    class Meta:
        ordering = ["id"]


class LabelHistory(models.Model):
    labeled_frame = models.ForeignKey(
        LabeledFrame, on_delete=models.CASCADE, related_name="history"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=32)
    version = models.PositiveIntegerField()
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
