"""Re-tracking a finished run: new identities for its predictions, without re-inferring.

Flow of one :class:`~backend.inference.models.RetrackJob` (the lifecycle is
:mod:`backend.common.jobs`):

1. :func:`retrack_start` (web) checks the settings and that the run succeeded and
   has no re-tracking in flight, creates the job and queues
   ``backend.inference.tasks.run_retrack`` once the transaction commits;
2. the task re-tracks local copies of the run's files (``storage.local_copy``)
   into *new* files, stores them under new keys, and calls :func:`retrack_publish`;
3. :func:`retrack_publish` swaps the run's file keys, ``tracking`` and
   ``summary["tracking"]`` in one locked UPDATE, so readers see the old file or
   the new one, never half of either; the old files and the exports cached from
   them are deleted once that commits;
4. :func:`retrack_finish` ranks the run's frames again
   (``suggestions_generate``), so signals that follow identities (jumps of the same
   track) refresh, then the job succeeds.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from backend.common import jobs, storage
from backend.common.exceptions import ApplicationError, ConflictError
from backend.inference.models import InferenceRun, RetrackJob
from backend.inference.tracking import tracking_validate

Status = RetrackJob.Status


def retrack_start(*, run: InferenceRun, user: Any, tracking: dict[str, Any] | None) -> RetrackJob:
    """Queue a re-tracking of ``run``; ``tracking`` None: the run's settings (or the defaults)."""
    if run.status != InferenceRun.Status.SUCCEEDED or not run.predictions_file:
        raise ApplicationError("Only a run that succeeded can be re-tracked.")
    max_tracks = run.project.max_instances
    if tracking is None:
        settings = run.tracking or tracking_validate({}, max_tracks=max_tracks)
    else:
        settings = tracking_validate(tracking, max_tracks=max_tracks)
    try:
        with transaction.atomic():
            job = RetrackJob.objects.create(
                run=run, created_by=user, tracking=settings, message="Waiting for a worker"
            )
            _enqueue_retrack_on_commit(job)
    except IntegrityError:
        raise ConflictError("This run is being re-tracked already; wait for it to finish.") from None
    return job


def _enqueue_retrack_on_commit(job: RetrackJob) -> None:
    from backend.inference.tasks import run_retrack

    job_id, attempt = job.id, job.attempt
    # The gpu queue: regenerating suggestions loads predictions with the torch-side reader.
    transaction.on_commit(lambda: run_retrack.apply_async(args=[job_id, attempt], queue="gpu"))


def retrack_keys(job: RetrackJob) -> dict[str, str]:
    """New storage keys for the files this job writes (never the run's current ones)."""
    from backend.inference.services import run_prefix

    prefix = run_prefix(job.run)
    keys = {"predictions_file": f"{prefix}/predictions-retrack-{job.id}-{job.attempt}.npz"}
    if job.run.smoothed_file:
        keys["smoothed_file"] = f"{prefix}/smoothed-retrack-{job.id}-{job.attempt}.npz"
    return keys


# --- worker side ------------------------------------------------------------------------


def retrack_claim(*, job_id: int, attempt: int, worker: str) -> bool:
    return jobs.claim(RetrackJob, job_id, worker=worker, attempt=attempt)


def retrack_publish(
    *, job_id: int, read: dict[str, str], written: dict[str, str], tracking: dict[str, Any]
) -> bool:
    """Point the run at the ``written`` files if it still has the ``read`` ones.

    False (nothing changed, the written files deleted) when the job was cancelled
    or reaped meanwhile, or the run's files changed under it.
    """
    with transaction.atomic():
        job = RetrackJob.objects.select_for_update().select_related("run").get(pk=job_id)
        run = InferenceRun.objects.select_for_update().get(pk=job.run_id)
        current = {field: getattr(run, field) for field in read}
        if job.status != Status.RUNNING or job.cancel_requested or current != read:
            transaction.on_commit(lambda: _delete(written.values()))
            return False
        for field, key in written.items():
            setattr(run, field, key)
        run.tracking = tracking["settings"]
        run.summary = {**run.summary, "tracking": tracking}
        run.tracks_version += 1  # proofreading edits based on the old tracks are stale now
        run.save(update_fields=[*written, "tracking", "summary", "tracks_version"])
        job.result = tracking
        job.save(update_fields=["result"])
        old = [key for key in read.values() if key not in written.values()]
        exports = f"{_run_prefix(run)}/exports"
        transaction.on_commit(lambda: _delete(old, exports))
    return True


def retrack_finish(*, job_id: int, predictions: Any) -> None:
    """Rank the run's frames again from its new ``predictions``, then succeed the job."""
    from backend.inference.suggestions import suggestions_generate

    job = RetrackJob.objects.select_related("run__project", "run__video").get(pk=job_id)
    stored = suggestions_generate(run=job.run, predictions=predictions)
    tracks = job.result.get("tracks", 0)
    jobs.finish(RetrackJob, job_id, message=f"Re-tracked: {tracks} tracks; {len(stored)} suggestions")


def _run_prefix(run: InferenceRun) -> str:
    from backend.inference.services import run_prefix

    return run_prefix(run)


def _delete(keys: Any, prefix: str | None = None) -> None:
    for key in keys:
        if key and storage.exists(key):
            storage.delete(key)
    if prefix:
        storage.delete_prefix(prefix)
