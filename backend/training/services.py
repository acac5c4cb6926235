"""Training jobs: freeze labels, queue, track, cancel, reap, publish a model version.

The web process validates and queues; ``ml_worker.tasks.train_model`` runs on a
worker and reports back through the ``job_*`` functions here. Every state
change is a conditional UPDATE on the job row, so a redelivered or duplicated
message can never run a job twice and a cancelled or failed job never
publishes a model.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from backend.common.exceptions import ApplicationError
from backend.labels.models import LabeledFrame
from backend.projects.models import Project
from backend.training.models import LabelSnapshot, ModelVersion, TrainingJob

Status = TrainingJob.Status
MIN_FRAMES = 2
# Settings a user must not choose from the browser: server paths and hardware.
BLOCKED_FIELDS = {"pretrained_weights", "device", "num_threads"}
TRAINABLE = [LabeledFrame.Status.APPROVED, LabeledFrame.Status.SUBMITTED]


def _canonical_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def snapshot_freeze(
    *, project: Project, user: Any, include_unreviewed: bool = True
) -> LabelSnapshot:
    """Copy the project's trainable labels into an immutable, hashed snapshot."""
    nodes = list(project.nodes.all())
    index = {node.id: i for i, node in enumerate(nodes)}
    statuses = TRAINABLE + ([LabeledFrame.Status.IN_PROGRESS] if include_unreviewed else [])
    frames = []
    labeled = (
        LabeledFrame.objects.filter(video__project=project, status__in=statuses)
        .prefetch_related("instances")
        .order_by("video_id", "frame_index")
    )
    for frame in labeled:
        instances = [
            _instance_row(instance.points, index, instance.track)
            for instance in frame.instances.all()
        ]
        instances = [i for i in instances if any(p is not None for p in i["points"])]
        if instances:
            frames.append(
                {"video": frame.video_id, "frame_index": frame.frame_index, "instances": instances}
            )
    if len(frames) < MIN_FRAMES:
        raise ApplicationError(
            f"Training needs at least {MIN_FRAMES} labeled frames; this project has {len(frames)}"
            + ("" if include_unreviewed else " approved or submitted")
            + "."
        )
    content = {
        "nodes": [{"id": n.id, "name": n.name} for n in nodes],
        "edges": [[index[e.source_id], index[e.destination_id]] for e in project.edges.all()],
        "symmetries": [[index[s.node_a_id], index[s.node_b_id]] for s in project.symmetries.all()],
        "frames": frames,
    }
    return LabelSnapshot.objects.create(
        project=project,
        created_by=user,
        sha256=_canonical_hash(content),
        frame_count=len(frames),
        content=content,
    )


def _instance_row(
    points: list[dict[str, Any]], index: dict[int, int], track: str | None
) -> dict[str, Any]:
    row: list[list[float] | None] = [None] * len(index)
    for point in points:
        if point["node"] in index and point["visibility"] in (1, 2):
            row[index[point["node"]]] = [point["x"], point["y"], point["visibility"]]
    return {"track": track, "points": row}


def training_config_validate(*, preset: str, advanced: dict[str, Any] | None) -> dict[str, Any]:
    """The full config for a job, or a 400 naming the bad setting."""
    from ml_worker.config import TrainConfig  # pure dataclasses: no torch in the web process

    advanced = dict(advanced or {})
    blocked = sorted(BLOCKED_FIELDS & advanced.keys())
    if blocked:
        raise ApplicationError(f"The setting {blocked[0]!r} cannot be chosen here.")
    try:
        return TrainConfig.from_dict({**advanced, "preset": preset}).to_dict()
    except ValueError as exc:
        raise ApplicationError(
            f"Invalid training settings: {exc}", {"field": str(exc).split(":")[0]}
        ) from None


def training_job_start(
    *,
    project: Project,
    user: Any,
    preset: str = "balanced",
    advanced: dict[str, Any] | None = None,
    parent_version: ModelVersion | None = None,
    include_unreviewed: bool = True,
) -> TrainingJob:
    config = training_config_validate(preset=preset, advanced=advanced)
    if parent_version is not None and parent_version.project_id != project.id:
        raise ApplicationError("The parent model belongs to another project.")
    with transaction.atomic():
        snapshot = snapshot_freeze(
            project=project, user=user, include_unreviewed=include_unreviewed
        )
        job = TrainingJob.objects.create(
            project=project,
            snapshot=snapshot,
            parent_version=parent_version,
            created_by=user,
            preset=preset,
            config=config,
            message="Waiting for a worker",
        )
        _enqueue_on_commit(job)
    return job


def _enqueue_on_commit(job: TrainingJob) -> None:
    from ml_worker.tasks import train_model

    job_id, attempt = job.id, job.attempt
    transaction.on_commit(lambda: train_model.apply_async(args=[job_id, attempt], queue="gpu"))


# --- worker side ----------------------------------------------------------


def job_claim(*, job_id: int, attempt: int, worker: str) -> bool:
    """Atomically move a queued job to running; False if another delivery got it first."""
    now = timezone.now()
    claimed = TrainingJob.objects.filter(
        pk=job_id, attempt=attempt, status=Status.QUEUED, cancel_requested=False
    ).update(
        status=Status.RUNNING, worker=worker, started_at=now, heartbeat_at=now, message="Starting"
    )
    return claimed == 1


def job_report(
    *, job_id: int, info: dict[str, Any], history_entry: dict[str, Any] | None = None
) -> bool:
    """Record progress and a heartbeat; returns True when the job should stop."""
    fields = {
        "heartbeat_at": timezone.now(),
        "progress": float(min(max(info.get("fraction", 0.0), 0.0), 1.0)),
        "stage": str(info.get("stage", ""))[:32],
        "epoch": int(info.get("epoch", 0)),
        "step": int(info.get("step", 0)),
        "total_steps": int(info.get("total_steps", 0)),
        "eta_seconds": info.get("eta_seconds"),
        "message": info.get("message", "Training"),
    }
    TrainingJob.objects.filter(pk=job_id, status=Status.RUNNING).update(**fields)
    if history_entry is not None:
        with transaction.atomic():
            job = TrainingJob.objects.select_for_update().get(pk=job_id)
            job.history = [*job.history, history_entry]
            job.save(update_fields=["history"])
    job = TrainingJob.objects.only("status", "cancel_requested").get(pk=job_id)
    return job.cancel_requested or job.status != Status.RUNNING


def job_set_split(*, job_id: int, split: dict[str, list[str]]) -> None:
    TrainingJob.objects.filter(pk=job_id).update(split=split)


def _finish(job_id: int, status: str, **fields: Any) -> bool:
    updated = TrainingJob.objects.filter(pk=job_id, status=Status.RUNNING).update(
        status=status, finished_at=timezone.now(), **fields
    )
    return updated == 1


def job_fail(*, job_id: int, error: str) -> None:
    _finish(job_id, Status.FAILED, error=error[:5000], message="Failed")


def job_mark_cancelled(*, job_id: int) -> None:
    _finish(job_id, Status.CANCELLED, message="Cancelled")


def project_models_dir(project_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "models" / f"project-{project_id}"


def model_dir(job: TrainingJob) -> Path:
    return project_models_dir(job.project_id) / f"job-{job.id}"


@transaction.atomic
def job_publish(
    *, job_id: int, metrics: dict[str, Any], config: dict[str, Any], download: Path | None
) -> ModelVersion | None:
    """Succeed the job and publish its model version, unless it was cancelled meanwhile."""
    job = TrainingJob.objects.select_for_update().get(pk=job_id)
    if job.status != Status.RUNNING or job.cancel_requested:
        return None
    root = Path(settings.MEDIA_ROOT)
    for _ in range(5):
        number = (
            ModelVersion.objects.filter(project_id=job.project_id).aggregate(n=Max("number"))["n"]
            or 0
        ) + 1
        try:
            with transaction.atomic():
                version = ModelVersion.objects.create(
                    project_id=job.project_id,
                    job=job,
                    number=number,
                    parent=job.parent_version,
                    artifact_dir=str(model_dir(job).relative_to(root)),
                    download=str(download.relative_to(root)) if download else "",
                    metrics=metrics,
                    config=config,
                )
            break
        except IntegrityError:
            continue
    else:
        raise RuntimeError("could not allocate a model version number")
    job.status, job.progress, job.finished_at = Status.SUCCEEDED, 1.0, timezone.now()
    job.message, job.eta_seconds = f"Published model v{version.number}", 0
    job.save(update_fields=["status", "progress", "finished_at", "message", "eta_seconds"])
    return version


# --- user side ------------------------------------------------------------


def job_cancel(*, job: TrainingJob) -> TrainingJob:
    if job.status in TrainingJob.FINISHED:
        raise ApplicationError(f"The job has already {job.status}.")
    TrainingJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    # A job no worker has started yet is cancelled at once.
    TrainingJob.objects.filter(pk=job.pk, status=Status.QUEUED).update(
        status=Status.CANCELLED, finished_at=timezone.now(), message="Cancelled before it started"
    )
    job.refresh_from_db()
    return job


def jobs_reap(*, now: Any = None) -> list[int]:
    """Fail or requeue running jobs whose worker stopped sending heartbeats (killed, OOM)."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT)
    reaped = []
    for job in TrainingJob.objects.filter(status=Status.RUNNING, heartbeat_at__lt=stale_before):
        lost = f"The worker {job.worker or ''} stopped responding (killed or out of memory)."
        if job.attempt < settings.JOB_MAX_ATTEMPTS and not job.cancel_requested:
            requeued = TrainingJob.objects.filter(
                pk=job.pk, status=Status.RUNNING, attempt=job.attempt
            ).update(
                status=Status.QUEUED,
                attempt=job.attempt + 1,
                message=f"{lost} Retrying.",
                heartbeat_at=None,
            )
            if requeued:
                job.refresh_from_db()
                with transaction.atomic():
                    _enqueue_on_commit(job)
        else:
            TrainingJob.objects.filter(
                pk=job.pk, status=Status.RUNNING, attempt=job.attempt
            ).update(status=Status.FAILED, error=lost, message="Failed", finished_at=now)
        reaped.append(job.pk)
    return reaped
