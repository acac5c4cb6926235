"""Inference runs: queue one per video, track, cancel, publish; and retrain from a run.

The web process validates and queues; ``backend.inference.tasks.run_inference``
runs on a ``gpu`` worker and reports back through the ``run_*`` functions here.
As for training jobs, every state change is a conditional UPDATE on the run
row, so a redelivered message never runs twice and a cancelled run never
publishes predictions or suggestions. The lifecycle itself (claim, heartbeat,
cancel, the reaper) is :mod:`backend.common.jobs`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from backend.common import jobs
from backend.common.exceptions import ApplicationError
from backend.inference.models import InferenceRun
from backend.projects.models import Project
from backend.training.models import ModelVersion, TrainingJob
from backend.videos.models import Video

Status = InferenceRun.Status
MAX_VIDEOS_PER_REQUEST = 50
MAX_SMOOTHING_WINDOW = 101


def smoothing_validate(smoothing: dict[str, Any] | None) -> dict[str, Any] | None:
    """``{"method": "median"|"savgol", "window": odd int}`` or None, else a 400."""
    from ml_worker.inference_run import SMOOTHING_METHODS

    if not smoothing:
        return None
    method, window = smoothing.get("method"), smoothing.get("window", 5)
    if method not in SMOOTHING_METHODS:
        raise ApplicationError(f"smoothing.method must be one of {', '.join(SMOOTHING_METHODS)}.")
    if (
        not isinstance(window, int)
        or window < 3
        or window % 2 == 0
        or window > MAX_SMOOTHING_WINDOW
    ):
        raise ApplicationError("smoothing.window must be an odd number of frames from 3 to 101.")
    return {"method": method, "window": window}


def inference_run_start(
    *,
    project: Project,
    user: Any,
    model_version: ModelVersion,
    videos: list[Video],
    smoothing: dict[str, Any] | None = None,
    suggest_n: int | None = None,
    render_video: bool = True,
    tracking: dict[str, Any] | None = None,
) -> list[InferenceRun]:
    """Queue one run per video; ``suggest_n`` overrides the project's number of suggestions.

    ``tracking`` (tracker settings, see :mod:`backend.inference.tracking`; None: off)
    gives the animals identities right after predicting.
    """
    from backend.inference.suggestions import al_settings_get
    from backend.inference.tracking import tracking_validate

    if model_version.project_id != project.id:
        raise ApplicationError("The model version belongs to another project.")
    if not videos or len(videos) > MAX_VIDEOS_PER_REQUEST:
        raise ApplicationError(f"Choose 1 to {MAX_VIDEOS_PER_REQUEST} videos.")
    if any(v.project_id != project.id for v in videos):
        raise ApplicationError("A video belongs to another project.")
    broken = [v.name for v in videos if v.status == Video.Status.FAILED]
    if broken:
        raise ApplicationError(f"The video {broken[0]!r} could not be read.")
    smoothing = smoothing_validate(smoothing)
    tracking = tracking_validate(tracking, max_tracks=project.max_instances)
    al = al_settings_get(project=project)
    config = {
        "n": al.n_suggestions if suggest_n is None else suggest_n,
        "weights": al.weights,
        "min_gap": al.min_gap,
        "selection": al.selection,
    }
    with transaction.atomic():
        runs = [
            InferenceRun.objects.create(
                project=project,
                model_version=model_version,
                video=video,
                created_by=user,
                smoothing=smoothing,
                render_video=render_video,
                tracking=tracking,
                suggestions_config=config,
                message="Waiting for a worker",
            )
            for video in videos
        ]
        for run in runs:
            _enqueue_on_commit(run)
    return runs


def _enqueue_on_commit(run: InferenceRun) -> None:
    from backend.inference.tasks import run_inference

    run_id, attempt = run.id, run.attempt
    transaction.on_commit(lambda: run_inference.apply_async(args=[run_id, attempt], queue="gpu"))


def project_predictions_prefix(project_id: int) -> str:
    return f"predictions/project-{project_id}"


def run_prefix(run: InferenceRun) -> str:
    """Storage folder of one run's files (predictions, labeled video, exports)."""
    return f"{project_predictions_prefix(run.project_id)}/run-{run.id}"


# --- worker side: the lifecycle is backend.common.jobs ---------------------


def run_claim(*, run_id: int, attempt: int, worker: str) -> bool:
    """Atomically move a queued run to running; False if another delivery got it first."""
    return jobs.claim(InferenceRun, run_id, worker=worker, attempt=attempt)


def run_report(
    *,
    run_id: int,
    fraction: float,
    frames_done: int,
    message: str,
    eta_seconds: float | None = None,
) -> bool:
    """Record progress and a heartbeat; returns True when the run should stop."""
    return jobs.report(InferenceRun, run_id, fraction=fraction, message=message,
                       eta_seconds=eta_seconds, frames_done=frames_done)  # fmt: skip


def run_fail(*, run_id: int, error: str) -> None:
    jobs.fail(InferenceRun, run_id, error=error)


def run_mark_cancelled(*, run_id: int) -> None:
    jobs.mark_cancelled(InferenceRun, run_id)


@transaction.atomic
def run_publish(
    *, run_id: int, files: dict[str, str], summary: dict[str, Any], ranked: list[dict[str, Any]]
) -> bool:
    """Succeed the run and store its suggestions, unless it was cancelled meanwhile."""
    from backend.inference.suggestions import suggestions_store

    run = InferenceRun.objects.select_for_update().get(pk=run_id)
    if run.status != Status.RUNNING or run.cancel_requested:
        return False
    for field, path in files.items():
        setattr(run, field, path)
    run.summary, run.status, run.progress = summary, Status.SUCCEEDED, 1.0
    run.frames_done, run.eta_seconds, run.finished_at = summary["frames"], 0, timezone.now()
    run.message = f"Predicted {summary['frames']} frames; {len(ranked)} suggestions"
    run.save()
    suggestions_store(run=run, ranked=ranked)
    return True


# --- user side ------------------------------------------------------------


def run_cancel(*, run: InferenceRun) -> InferenceRun:
    return jobs.request_cancel(run)


def runs_reap(*, now: Any = None) -> list[int]:
    """Requeue or fail running runs whose worker went silent (Celery beat runs
    :func:`backend.common.jobs.reap` for every job type; this is the inference part)."""
    return jobs.reap(now=now, only=[InferenceRun]).get(InferenceRun._meta.label, [])


def retrain_from_run(
    *,
    run: InferenceRun,
    user: Any,
    preset: str = "balanced",
    advanced: dict[str, Any] | None = None,
) -> TrainingJob:
    """A training job warm-started from the run's model, on the labels as they are now."""
    from backend.training.services import training_job_start

    return training_job_start(
        project=run.project,
        user=user,
        preset=preset,
        advanced=advanced,
        parent_version=run.model_version,
    )


def latest_run_for_video(*, video: Video) -> InferenceRun | None:
    return (
        InferenceRun.objects.filter(video=video, status=Status.SUCCEEDED)
        .select_related("model_version")
        .order_by("-finished_at", "-id")
        .first()
    )
