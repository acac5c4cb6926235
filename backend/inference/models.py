"""Inference runs (a model version over one video) and the frames they suggest labeling.

A run's predictions live in one ``.npz`` file under ``MEDIA_ROOT/predictions/``
(never a row per keypoint); the row keeps its status, progress and a small
summary. A Suggestion is one frame the model asks a human about, with the
reasons it was chosen; accepting it turns the prediction into an editable label.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backend.common.jobs import Job
from backend.labels.models import LabeledFrame
from backend.projects.models import Project
from backend.training.models import ModelVersion
from backend.videos.models import Video

# As ml_worker.active_learning.DEFAULT_WEIGHTS (a test keeps them equal): the signals
# that earned their place in `make bench-al` are on, jumps, diversity and the committee
# off until a project turns them on.
DEFAULT_WEIGHTS = {
    "uncertainty": 1.0,
    "disagreement": 1.0,
    "temporal": 0.0,
    "diversity": 0.0,
    # Counts only where a frame may hold several animals (see ml_worker.active_learning).
    "instance_count": 1.0,
    # Tracked runs only: frames where identities may switch rank first (ml_worker.active_learning).
    "swap_candidate": 1.0,
    "identity_disagreement": 1.0,
    # Poses unlike the project's labeled ones (low-rank pose model; ml_worker.pose_pca).
    "pose_outlier": 1.0,
    # MC-dropout model variants disagree (on the shortlist only; ml_worker.ensemble).
    "ensemble_disagreement": 0.0,
}

# How a batch of suggestions is spread (ml_worker.active_learning.rank_frames' selection):
# "clusters" covers the kinds of frames no label covers first, "greedy" takes the best
# mixed scores kept apart by the diversity term. The default is ml_worker.inference_run's.
SELECTIONS = ("greedy", "clusters")
DEFAULT_SELECTION = "clusters"


def default_weights() -> dict[str, float]:
    return dict(DEFAULT_WEIGHTS)


class InferenceRun(Job):
    """A model version over one video; the lifecycle fields come from :class:`Job`."""

    job_label = "inference run"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="inference_runs")
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="inference_runs"
    )
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="inference_runs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    frames_done = models.PositiveIntegerField(default=0)
    # Paths relative to MEDIA_ROOT. The smoothed file never replaces the raw one.
    predictions_file = models.CharField(max_length=500, blank=True, default="")
    smoothed_file = models.CharField(max_length=500, blank=True, default="")
    video_file = models.CharField(max_length=500, blank=True, default="")
    smoothing = models.JSONField(null=True, blank=True)  # {"method", "window"} or None
    render_video = models.BooleanField(default=True)
    # ml_worker.tracking.TrackerConfig.to_dict() the run tracks with; None: tracking off.
    tracking = models.JSONField(null=True, blank=True)
    summary = models.JSONField(default=dict)
    suggestions_config = models.JSONField(default=dict)  # {"n", "weights", "min_gap"}
    # Bumped by every proofreading edit and re-tracking: what a proofreader's edit is based on.
    tracks_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["video", "status"], name="inferencerun_video_status")]

    def lost_retry_refusal(self) -> str:
        return ""  # predicting again is safe: the claim takes only the newest attempt

    def enqueue(self) -> None:
        from backend.inference import services

        services._enqueue_on_commit(self)


class RetrackJob(Job):
    """Track a finished run's predictions again, with new settings, without re-inferring.

    The run stays succeeded and readable throughout: the job writes new files and
    swaps the run's file keys in one UPDATE (see ``services.retrack_publish``).
    """

    job_label = "re-tracking job"

    run = models.ForeignKey(InferenceRun, on_delete=models.CASCADE, related_name="retrack_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    tracking = models.JSONField()  # TrackerConfig.to_dict()
    result = models.JSONField(default=dict)  # the run summary's "tracking" once succeeded

    class Meta:
        ordering = ["-id"]
        constraints = [
            # One re-tracking at a time per run: two would race to swap its files.
            models.UniqueConstraint(
                fields=["run"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_active_retrack_per_run",
            )
        ]

    def lost_retry_refusal(self) -> str:
        return ""  # re-tracking again is safe: files are swapped only by the live attempt

    def enqueue(self) -> None:
        from backend.inference import retrack

        retrack._enqueue_retrack_on_commit(self)


class Suggestion(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        DISMISSED = "dismissed"
        # A newer run on the same video made its own suggestions.
        SUPERSEDED = "superseded"

    run = models.ForeignKey(InferenceRun, on_delete=models.CASCADE, related_name="suggestions")
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="suggestions")
    frame_index = models.PositiveIntegerField()
    score = models.FloatField()
    subscores = models.JSONField(default=dict)
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    labeled_frame = models.ForeignKey(
        LabeledFrame, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestions"
    )
    provenance = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "frame_index"], name="unique_run_suggestion")
        ]
        indexes = [models.Index(fields=["video", "status"], name="suggestion_video_status")]


class ActiveLearningSettings(models.Model):
    """How a project ranks frames: strategy weights, how many to suggest, spacing."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="active_learning_settings"
    )
    weights = models.JSONField(default=default_weights)
    n_suggestions = models.PositiveIntegerField(default=20)
    min_gap = models.PositiveIntegerField(default=10)  # frames between two suggestions
    selection = models.CharField(
        max_length=16, choices=[(s, s) for s in SELECTIONS], default=DEFAULT_SELECTION
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(n_suggestions__lte=500), name="al_n_suggestions_max"
            )
        ]


class TrackEdit(models.Model):
    """One proofreading edit of a run's tracks (``ml_worker.tracking.edits``), in order.

    Applying it wrote a new predictions file (``file_after``); ``inverse`` undoes it,
    per file field (the smoothed copy's inverse differs for a deleted instance).
    """

    run = models.ForeignKey(InferenceRun, on_delete=models.CASCADE, related_name="track_edits")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField()  # the run's tracks_version this edit made
    op = models.JSONField()
    inverse = models.JSONField()  # {"predictions_file": edit, "smoothed_file"?: edit}
    start = models.PositiveIntegerField()  # frames changed: [start, stop)
    stop = models.PositiveIntegerField()
    undoes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="undone_by"
    )
    file_after = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version"]
        constraints = [
            models.UniqueConstraint(fields=["run", "version"], name="unique_track_edit_version")
        ]


class TrackLock(models.Model):
    """A proofreader's lease on a range of a run's frames, ``[start, stop)``; one per user and run."""

    run = models.ForeignKey(InferenceRun, on_delete=models.CASCADE, related_name="track_locks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start = models.PositiveIntegerField()
    stop = models.PositiveIntegerField()
    since = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "user"], name="one_track_lock_per_user"),
            models.CheckConstraint(condition=models.Q(stop__gt=models.F("start")),
                                   name="track_lock_range"),
        ]
