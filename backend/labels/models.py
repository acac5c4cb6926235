"""Labels: a LabeledFrame per (video, frame index) holding Instances, with a full history.

Points are stored as JSON on the Instance, ``[{"node": id, "x", "y", "visibility"}]``,
keyed by stable node ids (docs/decisions/0001-instance-points-encoding.md).

Team work rides on the same row: a frame moves todo -> in_progress -> submitted ->
approved | rejected (rejected goes back to its ``assignee``). Who is on a frame right
now is a FrameLock keyed by (video, frame index), not a column of the row: opening a
frame that was never labeled creates no LabeledFrame. Locks only guide who works
where; saves are still decided by ``version``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backend.common.jobs import Job
from backend.projects.models import Node, Project
from backend.videos.models import Video


class LabeledFrame(models.Model):
    class Status(models.TextChoices):
        TODO = "todo"
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
    # Chosen by a FramePickJob (kept when its lock is released, unlike a row made by a lock).
    picked = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Who sent it to review (a submit, or an edit that reopened an approved frame): with
    # updated_by, the people four-eyes review keeps from approving it.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["video_id", "frame_index"]
        constraints = [
            models.UniqueConstraint(fields=["video", "frame_index"], name="unique_labeled_frame")
        ]
        indexes = [models.Index(fields=["status", "assignee"], name="labeledframe_status_assignee")]


class FrameLock(models.Model):
    """A short lease on one frame (renewed by a heartbeat); a frame needs no row to be locked.

    One row per (video, frame index); an expired row is taken over in place, and a
    user's other rows in the project are deleted when they take a frame.
    """

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="frame_locks")
    frame_index = models.PositiveIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["video", "frame_index"], name="unique_frame_lock")
        ]
        indexes = [models.Index(fields=["user"], name="framelock_user")]


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


class ReviewComment(models.Model):
    """A reviewer's decision on a submitted frame; a reject always says why."""

    class Decision(models.TextChoices):
        APPROVE = "approve"
        REJECT = "reject"

    labeled_frame = models.ForeignKey(
        LabeledFrame, on_delete=models.CASCADE, related_name="review_comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(max_length=8, choices=Decision.choices)
    text = models.TextField(blank=True, default="")
    node = models.ForeignKey(
        Node, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(decision="reject", text=""), name="reject_needs_comment"
            )
        ]


class FramePickJob(Job):
    """Choose ``count`` frames of a video to label (uniform, random or k-means), on the worker.

    The lifecycle fields (status, progress, heartbeat, ...) come from :class:`Job`; a
    job whose worker died is failed by the reaper with a message (picking again is a click).
    """

    job_label = "frame picking job"

    class Method(models.TextChoices):
        UNIFORM = "uniform"
        RANDOM = "random"
        KMEANS = "kmeans"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="pick_jobs")
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="pick_jobs")
    method = models.CharField(max_length=8, choices=Method.choices)
    count = models.PositiveIntegerField()
    seed = models.BigIntegerField()
    frames = models.JSONField(default=list, blank=True)  # the picked frame indices, sorted
    created_frames = models.PositiveIntegerField(default=0)  # of those, how many were new rows
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
