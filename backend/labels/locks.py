"""Frame locks, "next frame for me" and presence: who is on which frame right now.

A lock is a short lease on a LabeledFrame row (``locked_by`` until ``lock_expires_at``),
renewed by a heartbeat while the labeling page is open. A user holds at most one
lock per project: taking a frame lets go of the previous one, so presence shows
one frame per person.

Every claim is a conditional UPDATE on the row's own columns ("... WHERE the lock
is free"), so two concurrent claims of the same frame never both succeed, on
SQLite (writers are serialized) as on PostgreSQL. On PostgreSQL the candidate
rows are also read with ``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent
next-frame calls walk past each other's candidates instead of queueing on them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone

from backend.common.exceptions import ConflictError
from backend.labels.models import LabeledFrame
from backend.labels.services import check_frame_index, user_ref
from backend.projects.models import Project
from backend.videos.models import Video

CANDIDATES_PER_ROUND = 20
ROUNDS = 5


def lock_seconds() -> int:
    return int(getattr(settings, "LABEL_LOCK_SECONDS", 120))


def _free(now: datetime) -> Q:
    return Q(locked_by__isnull=True) | Q(lock_expires_at__lte=now)


def _live(now: datetime) -> Q:
    return Q(locked_by__isnull=False, lock_expires_at__gt=now)


def lock_to_dict(frame: LabeledFrame) -> dict[str, Any]:
    return {
        "user": user_ref(frame.locked_by),
        "video": frame.video_id,
        "frame_index": frame.frame_index,
        "since": frame.locked_since.isoformat() if frame.locked_since else None,
        "expires": frame.lock_expires_at.isoformat() if frame.lock_expires_at else None,
    }


def _release_others(*, project_id: int, user: Any, keep_id: int) -> None:
    LabeledFrame.objects.filter(video__project_id=project_id, locked_by=user).exclude(
        pk=keep_id
    ).update(locked_by=None, locked_since=None, lock_expires_at=None)


def _row_for_lock(video: Video, frame_index: int) -> LabeledFrame:
    """The frame's row; a never-labeled frame gets an empty 'todo' row to hold the lock."""
    frame, _ = LabeledFrame.objects.get_or_create(  # race-safe: retries the get on IntegrityError
        video=video, frame_index=frame_index, defaults={"status": LabeledFrame.Status.TODO}
    )
    return frame


def frame_lock(*, video: Video, frame_index: int, user: Any) -> LabeledFrame:
    """Acquire or renew the caller's lock; 409 naming the holder if someone else has it."""
    check_frame_index(video, frame_index)
    frame = _row_for_lock(video, frame_index)
    now = timezone.now()
    expires = now + timedelta(seconds=lock_seconds())
    row = LabeledFrame.objects.filter(pk=frame.pk)
    renewed = row.filter(locked_by=user, lock_expires_at__gt=now).update(lock_expires_at=expires)
    if not renewed:
        taken = row.filter(_free(now)).update(
            locked_by=user, locked_since=now, lock_expires_at=expires
        )
        if not taken:
            raise _held_by_someone_else(frame.pk)
    _release_others(project_id=video.project_id, user=user, keep_id=frame.pk)
    return LabeledFrame.objects.select_related("locked_by").get(pk=frame.pk)


def _held_by_someone_else(frame_id: int) -> ConflictError:
    frame = LabeledFrame.objects.select_related("locked_by").get(pk=frame_id)
    name = frame.locked_by.username if frame.locked_by else "someone"
    return ConflictError(
        f"{name} is working on this frame right now (their lock runs until "
        f"{frame.lock_expires_at:%H:%M:%S} UTC unless renewed). Pick another frame.",
        {"lock": lock_to_dict(frame)},
    )


def frame_unlock(*, video: Video, frame_index: int, user: Any) -> None:
    """Let go of the caller's lock (someone else's lock is left alone)."""
    released = LabeledFrame.objects.filter(
        video=video, frame_index=frame_index, locked_by=user
    ).update(locked_by=None, locked_since=None, lock_expires_at=None)
    if released:
        # An empty row that only existed to hold the lock goes away with it.
        LabeledFrame.objects.filter(
            video=video,
            frame_index=frame_index,
            version=0,
            picked=False,
            status=LabeledFrame.Status.TODO,
            locked_by__isnull=True,
        ).delete()


def _buckets(user: Any) -> list[tuple[str, Q]]:
    """What next-frame hands out, best first; each a condition on the row's own columns."""
    status = LabeledFrame.Status
    return [
        ("rejected", Q(status=status.REJECTED, assignee=user)),
        ("todo", Q(status=status.TODO)),
        ("unassigned", Q(status=status.IN_PROGRESS, assignee__isnull=True)),
    ]


def _candidates(project: Project, user: Any, condition: Q, now: datetime) -> QuerySet:
    mine_first = Case(
        When(assignee=user, then=Value(0)),
        When(assignee__isnull=True, then=Value(1)),
        default=Value(2),
    )
    return (
        LabeledFrame.objects.filter(condition, _free(now), video__project=project)
        .annotate(mine_first=mine_first)
        .order_by("mine_first", "video_id", "frame_index")
    )


def _claim_one(candidates: QuerySet, condition: Q, user: Any, now: datetime) -> int | None:
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
    ids = list(candidates.values_list("id", flat=True)[:CANDIDATES_PER_ROUND])
    expires = now + timedelta(seconds=lock_seconds())
    for frame_id in ids:
        claimed = LabeledFrame.objects.filter(condition, _free(now), pk=frame_id).update(
            locked_by=user, locked_since=now, lock_expires_at=expires, assignee=user
        )
        if claimed:
            return frame_id
    return None


def next_frame_claim(*, project: Project, user: Any) -> tuple[LabeledFrame, str] | None:
    """Lock the best frame nobody else is on to ``user``; None when nothing is left."""
    now = timezone.now()
    for reason, condition in _buckets(user):
        for _ in range(ROUNDS):  # a round comes back empty only if others took its candidates
            candidates = _candidates(project, user, condition, now)
            with transaction.atomic():
                frame_id = _claim_one(candidates, condition, user, now)
            if frame_id is not None:
                _release_others(project_id=project.id, user=user, keep_id=frame_id)
                return LabeledFrame.objects.get(pk=frame_id), reason
            if not candidates.exists():
                break
    return None


def presence_list(*, project: Project) -> list[dict[str, Any]]:
    frames = (
        LabeledFrame.objects.filter(_live(timezone.now()), video__project=project)
        .select_related("locked_by")
        .order_by("locked_by__username", "video_id", "frame_index")
    )
    return [lock_to_dict(f) for f in frames]
