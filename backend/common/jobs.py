"""One lifecycle for every long-running job: queued -> running -> succeeded / failed / cancelled.

Training, inference, frame picking, import and export each used to carry their
own claim / progress / cancel code, and only the first two noticed a worker
killed mid-job. A job model now inherits :class:`Job` (the fields) and its task
uses the functions here (the transitions):

- :func:`claim` moves a queued row to running for one worker; it is a
  conditional UPDATE, so a redelivered message never runs a job twice;
- :func:`report` (through :class:`Progress`, which adds an ETA) records
  progress and is also a heartbeat; :class:`Heartbeat` keeps ``heartbeat_at``
  fresh in phases that report nothing; both answer whether to stop;
- :func:`request_cancel` / :func:`should_stop` let a user stop a job;
- :func:`finish`, :func:`fail` and :func:`mark_cancelled` end it, only while
  it is still running, so a job ends exactly once;
- :func:`reap`, run by Celery beat every ``JOB_REAPER_SECONDS`` (task
  ``common.reap_jobs``), ends or requeues running jobs whose heartbeat is older
  than ``JOB_HEARTBEAT_TIMEOUT``: their worker died. What happens then is the
  model's call (:meth:`Job.lost_retry_refusal`, :meth:`Job.enqueue`,
  :meth:`Job.on_given_up`); by default a lost job fails with a message.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from backend.common.exceptions import ApplicationError

log = logging.getLogger(__name__)
MESSAGE_MAX = 500
ERROR_MAX = 5000


class JobStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Job(models.Model):
    """The fields every job row has. ``started_at`` is when a worker claimed it."""

    Status = JobStatus
    FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
    ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
    # What the user calls this kind of job, in messages ("The frame picking job ...").
    job_label: ClassVar[str] = "job"

    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    # Which delivery of the task may claim the row: a requeue bumps it, so an old message
    # that turns up later finds nothing to claim.
    attempt = models.PositiveIntegerField(default=1)
    worker = models.CharField(max_length=200, blank=True, default="")
    progress = models.FloatField(default=0.0)
    eta_seconds = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    cancel_requested = models.BooleanField(default=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    # --- what the reaper does with a job whose worker died (override per model) ---

    def lost_retry_refusal(self) -> str:
        """Why this lost job must not run again ("" = requeue it). Default: never retried.

        Retrying suits idempotent work whose message is safe to send twice (training,
        inference); a model that allows it also implements :meth:`enqueue`.
        """
        return "killed or restarted; start it again"

    def enqueue(self) -> None:
        """Send the task message for (``id``, ``attempt``) once the transaction commits."""
        raise NotImplementedError(f"{type(self).__name__} is never requeued")

    def on_given_up(self) -> None:
        """Clean up after a lost job ended failed or cancelled (e.g. delete its upload)."""


JobModel = type[Job]


def job_models() -> list[JobModel]:
    """Every installed model that uses the lifecycle (what the reaper looks at)."""
    return [m for m in apps.get_models() if issubclass(m, Job)]


# --- worker side ---------------------------------------------------------------


def claim(model: JobModel, job_id: int, *, worker: str, attempt: int | None = None) -> bool:
    """Queued -> running for ``worker``; False when another delivery got it first,
    the job was cancelled, or ``attempt`` is not the current one."""
    now = timezone.now()
    rows = model.objects.filter(pk=job_id, status=JobStatus.QUEUED, cancel_requested=False)
    if attempt is not None:
        rows = rows.filter(attempt=attempt)
    return (
        rows.update(
            status=JobStatus.RUNNING, worker=worker[:200], started_at=now, heartbeat_at=now,
            progress=0.0, message="Starting",
        )  # fmt: skip
        == 1
    )


def report(
    model: JobModel,
    job_id: int,
    *,
    fraction: float,
    message: str,
    eta_seconds: float | None = None,
    **fields: Any,
) -> bool:
    """Record progress (also a heartbeat) while the job runs; True when it should stop."""
    model.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        heartbeat_at=timezone.now(),
        progress=round(float(min(max(fraction, 0.0), 1.0)), 4),
        eta_seconds=eta_seconds,
        message=str(message)[:MESSAGE_MAX],
        **fields,
    )
    return should_stop(model, job_id)


def heartbeat(model: JobModel, job_id: int, **fields: Any) -> None:
    """"Still alive", in phases that report no progress."""
    model.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        heartbeat_at=timezone.now(), **fields
    )


def should_stop(model: JobModel, job_id: int) -> bool:
    """True once a cancel was asked for, or the job is no longer running (reaped, gone)."""
    row = model.objects.filter(pk=job_id).values("cancel_requested", "status").first()
    return row is None or row["cancel_requested"] or row["status"] != JobStatus.RUNNING


def _end(model: JobModel, job_id: int, status: str, **fields: Any) -> bool:
    updated = model.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        status=status, finished_at=timezone.now(), **fields
    )
    return updated == 1


def finish(model: JobModel, job_id: int, *, message: str, **fields: Any) -> bool:
    """Running -> succeeded (False if it was not running any more: cancelled, reaped)."""
    return _end(model, job_id, JobStatus.SUCCEEDED, progress=1.0, eta_seconds=0,
                message=message[:MESSAGE_MAX], **fields)  # fmt: skip


def fail(model: JobModel, job_id: int, *, error: str, message: str = "Failed",
         **fields: Any) -> bool:  # fmt: skip
    return _end(model, job_id, JobStatus.FAILED, error=error[:ERROR_MAX],
                message=message[:MESSAGE_MAX], **fields)  # fmt: skip


def mark_cancelled(model: JobModel, job_id: int, *, message: str = "Cancelled") -> bool:
    return _end(model, job_id, JobStatus.CANCELLED, message=message)


class Progress:
    """``progress(fraction, message, **fields)`` for a task: writes the row with an ETA
    (from this object's start), and ``should_stop()`` polls for cancel at most once a second."""

    def __init__(self, model: JobModel, job_id: int, *, poll_seconds: float = 1.0) -> None:
        self.model, self.job_id, self.poll_seconds = model, job_id, poll_seconds
        self.started = time.monotonic()
        self.last_check = 0.0
        self.stop = False

    def eta(self, fraction: float) -> float | None:
        if not 0 < fraction < 1:
            return None if fraction <= 0 else 0.0
        elapsed = time.monotonic() - self.started
        return round(elapsed / fraction * (1 - fraction), 1)

    def __call__(self, fraction: float, message: str, **fields: Any) -> bool:
        fields.setdefault("eta_seconds", self.eta(fraction))
        self.stop = report(self.model, self.job_id, fraction=fraction, message=message,
                           **fields) or self.stop  # fmt: skip
        self.last_check = time.monotonic()
        return self.stop

    def should_stop(self) -> bool:
        if not self.stop and time.monotonic() - self.last_check > self.poll_seconds:
            self.last_check = time.monotonic()
            self.stop = should_stop(self.model, self.job_id)
        return self.stop


def heartbeat_seconds() -> float:
    """How often a running job beats: well inside the timeout the reaper allows."""
    return max(0.5, min(settings.JOB_HEARTBEAT_SECONDS, settings.JOB_HEARTBEAT_TIMEOUT / 3))


class Heartbeat:
    """A thread that keeps ``heartbeat_at`` fresh while the task is alive.

    ``extra()`` adds fields to each beat (training records its memory reading).
    Disabled for eager tasks (tests): they share the caller's transaction, and a
    second connection would only wait on its locks.
    """

    def __init__(self, model: JobModel, job_id: int, *, enabled: bool = True,
                 beat: Callable[[], None] | None = None) -> None:  # fmt: skip
        self.model, self.job_id, self.enabled = model, job_id, enabled
        self.beat = beat or (lambda: heartbeat(self.model, self.job_id))
        self.stop = threading.Event()
        self.interval = heartbeat_seconds()
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"heartbeat-{job_id}")

    def _run(self) -> None:
        try:
            while not self.stop.wait(self.interval):
                try:
                    self.beat()
                except Exception:  # noqa: BLE001 - a missed beat must not end the job
                    log.exception("heartbeat of %s %s failed", self.model.__name__, self.job_id)
        finally:
            connection.close()

    def __enter__(self) -> Heartbeat:
        if self.enabled:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.enabled:
            self.thread.join(timeout=self.interval * 2)


# --- user side -----------------------------------------------------------------


def request_cancel(job: Job) -> Job:
    """Ask a running job to stop (its task polls); a queued one is cancelled at once."""
    model = type(job)
    if job.status in Job.FINISHED:
        raise ApplicationError(f"The {job.job_label} has already {job.status}.")
    model.objects.filter(pk=job.pk).update(cancel_requested=True)
    model.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.CANCELLED, finished_at=timezone.now(), message="Cancelled before it started"
    )
    job.refresh_from_db()
    return job


# --- the reaper ----------------------------------------------------------------


def reap(*, now: Any = None, only: list[JobModel] | None = None) -> dict[str, list[int]]:
    """End or requeue every running job whose worker stopped sending heartbeats.

    Returns ``{model label: [job ids]}`` of the jobs it acted on. Celery beat runs
    it every ``JOB_REAPER_SECONDS``; GET views never do.
    """
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT)
    reaped: dict[str, list[int]] = {}
    for model in only or job_models():
        silent = model.objects.filter(status=JobStatus.RUNNING).filter(
            models.Q(heartbeat_at__lt=stale_before)
            | models.Q(heartbeat_at__isnull=True, started_at__lt=stale_before)
        )
        for job in silent:
            if lost(job, now=now):
                reaped.setdefault(model._meta.label, []).append(job.pk)
    return reaped


def lost(job: Job, *, now: Any = None) -> str:
    """End or requeue one running job whose worker died: "cancelled", "failed",
    "requeued", or "" when another reaper (or the worker) changed it first."""
    now = now or timezone.now()
    model = type(job)
    current = model.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempt=job.attempt)
    who = f"The worker {job.worker} stopped" if job.worker else "Its worker stopped"
    if job.cancel_requested:
        done = current.update(status=JobStatus.CANCELLED, finished_at=now,
                              message="Cancelled (its worker stopped)")  # fmt: skip
        return _given_up(job, "cancelled") if done else ""
    reason = job.lost_retry_refusal() or _attempts_refusal(job)
    if reason:
        error = f"{who} while running this {job.job_label} ({reason}); not retried."
        done = current.update(status=JobStatus.FAILED, finished_at=now, error=error,
                              message="Failed: its worker stopped")  # fmt: skip
        return _given_up(job, "failed") if done else ""
    with transaction.atomic():
        requeued = current.update(
            status=JobStatus.QUEUED, attempt=job.attempt + 1, heartbeat_at=None,
            message=f"{who} responding (killed or restarted). Retrying.",
        )  # fmt: skip
        if requeued:
            job.refresh_from_db()
            job.enqueue()
    return "requeued" if requeued else ""


def _attempts_refusal(job: Job) -> str:
    limit = settings.JOB_MAX_ATTEMPTS
    return f"attempt {job.attempt} of {limit}" if job.attempt >= limit else ""


def _given_up(job: Job, outcome: str) -> str:
    log.warning("%s %s: its worker %r stopped; %s", job.job_label, job.pk, job.worker, outcome)
    try:
        job.on_given_up()
    except Exception:  # noqa: BLE001 - the row is final already; cleanup is best effort
        log.exception("cleanup after the lost %s %s failed", job.job_label, job.pk)
    return outcome
