"""Training jobs: freeze labels, queue, track, cancel, publish a model version.

The web process validates and queues; ``backend.training.tasks.train_model`` runs on a
worker and reports back through the ``job_*`` functions here. Every state
change is a conditional UPDATE on the job row, so a redelivered or duplicated
message can never run a job twice and a cancelled or failed job never
publishes a model. The lifecycle itself (claim, heartbeat, cancel, the reaper)
is :mod:`backend.common.jobs`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from backend.common import jobs
from backend.common.exceptions import ApplicationError
from backend.labels.models import LabeledFrame
from backend.projects.models import Project
from backend.training.models import LabelSnapshot, ModelVersion, TrainingJob
from backend.training.testset import testset_frame_ids
from ml_worker.poses import stored_to_rows

Status = TrainingJob.Status
MIN_FRAMES = 2
ACTIVE = (Status.QUEUED, Status.RUNNING)
# A lost job whose last memory reading was at least this share of the limit is taken
# for an out-of-memory kill: running it again would only kill another worker.
MEMORY_SUSPECT_FRACTION = 0.5
TRAINABLE = [LabeledFrame.Status.APPROVED, LabeledFrame.Status.SUBMITTED]


def _canonical_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def snapshot_freeze(
    *, project: Project, user: Any, include_unreviewed: bool = True
) -> LabelSnapshot:
    """Copy the project's trainable labels into an immutable, hashed snapshot.

    Frames of the project's pinned test set are copied with ``"test": True``: the
    worker keeps them out of training and only scores the finished model on them.
    """
    nodes = list(project.nodes.all())
    test_ids = testset_frame_ids(project)
    index = {node.id: i for i, node in enumerate(nodes)}
    statuses = TRAINABLE + ([LabeledFrame.Status.IN_PROGRESS] if include_unreviewed else [])
    frames = []
    labeled = (
        LabeledFrame.objects.filter(video__project=project, status__in=statuses)
        .prefetch_related("instances")
        .order_by("video_id", "frame_index")
    )
    for frame in labeled:
        stored = [{"track": i.track, "points": i.points} for i in frame.instances.all()]
        instances = stored_to_rows(stored, index)  # instances left without a point are dropped
        if instances:
            entry = {"video": frame.video_id, "frame_index": frame.frame_index}
            frames.append({**entry, "instances": instances, **_test_flag(frame.id in test_ids)})
    trainable = sum(not f.get("test") for f in frames)
    if trainable < MIN_FRAMES:
        raise ApplicationError(
            f"Training needs at least {MIN_FRAMES} labeled frames outside the test set; this "
            f"project has {trainable}"
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


def _test_flag(is_test: bool) -> dict[str, bool]:
    # Only test frames carry the key, so a snapshot without a test set hashes as before.
    return {"test": True} if is_test else {}


def training_split(*, content: dict[str, Any], keys: list[str], seed: int) -> dict[str, list[str]]:
    """Which decoded frames train, validate and test a job.

    Test: the snapshot's pinned test frames. The rest: a seeded 20 % for validation
    (early stopping and the checkpoint), none under 5 frames, and the others train.
    """
    from ml_worker.dataset import make_split, snapshot_key

    frames = content["frames"]
    pinned = {snapshot_key(f["video"], f["frame_index"]) for f in frames if f.get("test")}
    fit = [k for k in keys if k not in pinned]
    split = make_split(fit, val_fraction=0.2 if len(fit) >= 5 else 0.0, seed=seed)
    return {**split, "test": sorted(k for k in keys if k in pinned)}


def test_frames_seen_by_ancestors(*, job: TrainingJob, test: list[str]) -> list[str]:
    """Test frames a warm start's parent (or its parents) trained or validated on.

    Pinning a frame after a model saw it does not unsee it: a child of that model is
    not scored on unseen frames, and the versions page says so.
    """
    seen: set[str] = set()
    version, hops = job.parent_version, 0
    while version is not None and hops < 100:  # a parent chain is short; never loop forever
        split = version.job.split
        seen |= set(split.get("train", [])) | set(split.get("val", []))
        version, hops = version.parent, hops + 1
    return sorted(seen & set(test))


def training_config_validate(*, preset: str, advanced: dict[str, Any] | None) -> dict[str, Any]:
    """The full config for a job, or a 400 naming the bad setting and its allowed range."""
    from ml_worker.config import ConfigError, job_config  # pure python: no torch here

    try:
        return job_config(preset, advanced).to_dict()
    except ConfigError as exc:
        raise ApplicationError(
            f"Invalid training setting {exc.field!r}: {exc.reason}.", {"field": exc.field}
        ) from None


def _check_user_quota(user: Any) -> None:
    """One user may not fill the training queue: at most N jobs queued or running."""
    cap = settings.TRAINING_MAX_QUEUED_PER_USER
    active = TrainingJob.objects.filter(created_by=user, status__in=ACTIVE).count()
    if active >= cap:
        raise ApplicationError(
            f"You already have {active} training job(s) queued or running (the limit is {cap}); "
            "wait for one to finish or cancel one.",
            {"active_jobs": active, "limit": cap},
            status_code=429,
        )


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
        if user is not None:
            # Lock the user's row so two simultaneous requests cannot both pass the quota.
            # get_user_model(), not type(user): a session request's user is a SimpleLazyObject.
            users = get_user_model().objects.select_for_update()
            list(users.filter(pk=user.pk).values_list("pk"))
            _check_user_quota(user)
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
    from backend.training.tasks import train_model

    job_id, attempt = job.id, job.attempt
    transaction.on_commit(lambda: train_model.apply_async(args=[job_id, attempt], queue="gpu"))


# --- worker side: the lifecycle is backend.common.jobs; these add training's fields ---


def job_claim(*, job_id: int, attempt: int, worker: str) -> bool:
    """Atomically move a queued job to running; False if another delivery got it first."""
    return jobs.claim(TrainingJob, job_id, worker=worker, attempt=attempt)


def job_report(
    *, job_id: int, info: dict[str, Any], history_entry: dict[str, Any] | None = None
) -> bool:
    """Record progress and a heartbeat; returns True when the job should stop."""
    stop = jobs.report(
        TrainingJob,
        job_id,
        fraction=float(info.get("fraction", 0.0)),
        message=info.get("message", "Training"),
        eta_seconds=info.get("eta_seconds"),
        stage=str(info.get("stage", ""))[:32],
        epoch=int(info.get("epoch", 0)),
        step=int(info.get("step", 0)),
        total_steps=int(info.get("total_steps", 0)),
        **_memory_fields(info.get("memory_mb")),
    )
    if history_entry is not None:
        with transaction.atomic():
            job = TrainingJob.objects.select_for_update().get(pk=job_id)
            job.history = [*job.history, history_entry]
            job.save(update_fields=["history"])
    return stop


def job_beat(*, job_id: int, memory_mb: float | None = None) -> None:
    """A heartbeat from the worker, with the memory the job uses now (when known)."""
    jobs.heartbeat(TrainingJob, job_id, **_memory_fields(memory_mb))


def _memory_fields(memory_mb: float | None) -> dict[str, Any]:
    """Keep the highest reading: the reaper asks whether the job came near the limit."""
    if memory_mb is None:
        return {}
    return {"memory_mb": Greatest(Coalesce("memory_mb", 0), int(memory_mb))}


def job_set_split(*, job_id: int, split: dict[str, list[str]]) -> None:
    TrainingJob.objects.filter(pk=job_id).update(split=split)


def job_fail(*, job_id: int, error: str, memory_mb: float | None = None) -> None:
    jobs.fail(TrainingJob, job_id, error=error, **_memory_fields(memory_mb))


def job_mark_cancelled(*, job_id: int) -> None:
    jobs.mark_cancelled(TrainingJob, job_id)


def project_models_prefix(project_id: int) -> str:
    return f"models/project-{project_id}"


def model_prefix(job: TrainingJob) -> str:
    """Storage folder of the files one training job publishes (weights, exports, zip)."""
    return f"{project_models_prefix(job.project_id)}/job-{job.id}"


@transaction.atomic
def job_publish(
    *, job_id: int, metrics: dict[str, Any], config: dict[str, Any], download: str | None
) -> ModelVersion | None:
    """Succeed the job and publish its model version, unless it was cancelled meanwhile."""
    job = TrainingJob.objects.select_for_update().get(pk=job_id)
    if job.status != Status.RUNNING or job.cancel_requested:
        return None
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
                    artifact_dir=model_prefix(job),
                    download=download or "",
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
    return jobs.request_cancel(job)


def jobs_reap(*, now: Any = None) -> list[int]:
    """Requeue or fail running training jobs whose worker went silent (Celery beat runs
    :func:`backend.common.jobs.reap` for every job type; this is the training part)."""
    return jobs.reap(now=now, only=[TrainingJob]).get(TrainingJob._meta.label, [])


def job_lost(*, job: TrainingJob, now: Any = None) -> str:
    """End or requeue a running job whose worker died; returns what happened, "" if raced."""
    return jobs.lost(job, now=now)


def no_retry_reason(job: TrainingJob) -> str:
    """Why a lost job must not run again; empty when a retry is safe.

    A job whose last memory reading came near the limit is taken for an out-of-memory
    kill: running it again would only kill another worker.
    """
    limit = settings.TRAINING_MAX_MEMORY_MB
    if job.memory_mb is not None and job.memory_mb >= MEMORY_SUSPECT_FRACTION * limit:
        return (
            f"possibly out of memory: it used {job.memory_mb} MB at the last check, "
            f"the limit is {limit} MB; lower crop size / filters / batch size"
        )
    if job.attempt >= settings.JOB_MAX_ATTEMPTS:
        return f"possibly out of memory; attempt {job.attempt} of {settings.JOB_MAX_ATTEMPTS}"
    return ""
