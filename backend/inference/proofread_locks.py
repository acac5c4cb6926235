"""Range locks on a run's tracks: who is proofreading which frames right now.

A :class:`~backend.inference.models.TrackLock` is a lease on frames ``[start,
stop)`` of one run, renewed by taking it again; a user holds one per run (taking
another range moves it). Taking a range that overlaps someone else's live lock
is a 409 naming them, and so is an edit that would change frames inside it:
two people can proofread different parts of one video at the same time.

Takers of one run's locks queue on its row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite runs write transactions one at a time), so two overlapping
ranges are never both granted.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from backend.common.exceptions import ApplicationError, ConflictError
from backend.inference.models import InferenceRun, TrackLock


def lock_seconds() -> int:
    return int(getattr(settings, "TRACK_LOCK_SECONDS", 300))


def lock_to_dict(lock: TrackLock) -> dict[str, Any]:
    return {
        "user": lock.user.username,
        "start": lock.start,
        "stop": lock.stop,
        "since": lock.since.isoformat(),
        "expires": lock.expires_at.isoformat(),
    }


def live_locks(run: InferenceRun) -> QuerySet[TrackLock]:
    return TrackLock.objects.filter(run=run, expires_at__gt=timezone.now()).select_related("user")


def _others_overlapping(run: InferenceRun, user: Any, start: int, stop: int) -> TrackLock | None:
    return (
        live_locks(run).exclude(user=user).filter(start__lt=stop, stop__gt=start)
        .order_by("start").first()
    )  # fmt: skip


def _held(lock: TrackLock, what: str) -> ConflictError:
    return ConflictError(
        f"{lock.user.username} is proofreading frames {lock.start}–{lock.stop - 1} "
        f"(until {lock.expires_at:%H:%M:%S} UTC unless renewed); {what}",
        {"lock": lock_to_dict(lock)},
    )


def check_no_lock(*, run: InferenceRun, user: Any, start: int, stop: int) -> None:
    """409 if frames ``[start, stop)`` touch someone else's live lock."""
    lock = _others_overlapping(run, user, start, stop)
    if lock is not None:
        raise _held(lock, "this edit would change frames there.")


def track_lock_take(*, run: InferenceRun, user: Any, start: int, stop: int) -> TrackLock:
    """Take or renew the caller's lock on ``[start, stop)``; 409 naming who holds an overlap."""
    if start < 0 or stop <= start:
        raise ApplicationError("Lock frames 0 <= start < stop.")
    now = timezone.now()
    with transaction.atomic():
        InferenceRun.objects.select_for_update().filter(pk=run.pk).first()
        lock = _others_overlapping(run, user, start, stop)
        if lock is not None:
            raise _held(lock, "choose other frames.")
        lock, _ = TrackLock.objects.update_or_create(
            run=run, user=user,
            defaults={"start": start, "stop": stop, "since": now,
                      "expires_at": now + timedelta(seconds=lock_seconds())},
        )  # fmt: skip
    return lock


def track_lock_release(*, run: InferenceRun, user: Any) -> None:
    """Let go of the caller's lock on this run (others' stay)."""
    TrackLock.objects.filter(run=run, user=user).delete()
