"""Frame locks, "next frame for me" and presence: who is on which frame right now.

A lock is a FrameLock row keyed by (video, frame index): a short lease (``user``
until ``expires_at``) renewed by a heartbeat while the labeling page is open. It
needs no LabeledFrame, so opening a frame that was never labeled creates nothing
the team would count as work. A user holds at most one lock per project: taking a
frame lets go of the previous one, so presence shows one frame per person.

Every claim is a conditional write on the lock row: renew ("... WHERE user = me
and still live"), take over ("... WHERE expired"), or insert, where the unique
(video, frame index) constraint makes the second of two concurrent inserts fail.
So two concurrent claims of the same frame never both succeed, on SQLite (writers
are serialized) as on PostgreSQL. On PostgreSQL next-frame also reads its candidate
rows with ``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent next-frame calls walk
past each other's candidates instead of queueing on them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from backend.common.exceptions import ConflictError
from backend.labels.models import FrameLock, LabeledFrame
from backend.labels.services import check_frame_index, live_locks, user_ref
from backend.projects.models import Project
from backend.videos.models import Video

CANDIDATES_PER_ROUND = 20
ROUNDS = 5
# Acquire-and-release tries when two requests of one user release each other's lock.
HOLD_TRIES = 3


def lock_seconds() -> int:
    return int(getattr(settings, "LABEL_LOCK_SECONDS", 120))


def lock_to_dict(lock: FrameLock) -> dict[str, Any]:
    return {
        "user": user_ref(lock.user),
        "video": lock.video_id,
        "frame_index": lock.frame_index,
        "since": lock.since.isoformat(),
        "expires": lock.expires_at.isoformat(),
    }


def _try_acquire(*, video_id: int, frame_index: int, user: Any, now: datetime) -> bool:
    """Renew, take over an expired lock, or create one; False if someone else holds it."""
    expires = now + timedelta(seconds=lock_seconds())
    row = FrameLock.objects.filter(video_id=video_id, frame_index=frame_index)
    if row.filter(user=user, expires_at__gt=now).update(expires_at=expires):
        return True
    if row.filter(expires_at__lte=now).update(user=user, since=now, expires_at=expires):
        return True
    try:
        with transaction.atomic():  # a savepoint: a lost insert race must not break the caller's
            FrameLock.objects.create(
                video_id=video_id, frame_index=frame_index, user=user, since=now, expires_at=expires
            )
    except IntegrityError:
        return False  # someone else's live lock (or a concurrent insert won)
    return True


def _release_others(*, project_id: int, user: Any, video_id: int, frame_index: int) -> None:
    FrameLock.objects.filter(video__project_id=project_id, user=user).exclude(
        video_id=video_id, frame_index=frame_index
    ).delete()


def _hold(*, project_id: int, video_id: int, frame_index: int, user: Any,
          now: datetime) -> FrameLock | None:  # fmt: skip
    """Hold only this frame: acquire or renew its lock, release the user's others.

    Two requests of one user at once (the workspace renewing the frame it shows while
    "next frame" claims another) each release the other's lock; the loser takes its
    lock again. None when someone else holds the frame, or the tug never settles.
    """
    for _ in range(HOLD_TRIES):
        if not _try_acquire(video_id=video_id, frame_index=frame_index, user=user, now=now):
            return None
        _release_others(
            project_id=project_id, user=user, video_id=video_id, frame_index=frame_index
        )
        lock = (
            FrameLock.objects.select_related("user")
            .filter(video_id=video_id, frame_index=frame_index, user=user)
            .first()
        )
        if lock is not None:
            return lock
    return None


def frame_lock(*, video: Video, frame_index: int, user: Any) -> FrameLock:
    """Acquire or renew the caller's lock; 409 naming the holder if someone else has it."""
    check_frame_index(video, frame_index)
    lock = _hold(project_id=video.project_id, video_id=video.id, frame_index=frame_index,
                 user=user, now=timezone.now())  # fmt: skip
    if lock is None:
        raise _held_by_someone_else(video, frame_index)
    return lock


def _held_by_someone_else(video: Video, frame_index: int) -> ConflictError:
    # The holder may let go between our failed claim and this read: say so, never crash.
    lock = (
        FrameLock.objects.select_related("user")
        .filter(video=video, frame_index=frame_index)
        .first()
    )
    if lock is None:
        return ConflictError("Someone was on this frame a moment ago. Try again.", {"lock": None})
    return ConflictError(
        f"{lock.user.username} is working on this frame right now (their lock runs until "
        f"{lock.expires_at:%H:%M:%S} UTC unless renewed). Pick another frame.",
        {"lock": lock_to_dict(lock)},
    )


def frame_unlock(*, video: Video, frame_index: int, user: Any) -> None:
    """Let go of the caller's lock (someone else's lock is left alone)."""
    FrameLock.objects.filter(video=video, frame_index=frame_index, user=user).delete()


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
    taken = live_locks(now).filter(video=OuterRef("video"), frame_index=OuterRef("frame_index"))
    return (
        LabeledFrame.objects.filter(condition, ~Exists(taken), video__project=project)
        .annotate(mine_first=mine_first)
        .order_by("mine_first", "video_id", "frame_index")
    )


def _claim_one(candidates: QuerySet, condition: Q, user: Any, now: datetime) -> int | None:
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
    rows = list(candidates.values_list("id", "video_id", "frame_index")[:CANDIDATES_PER_ROUND])
    for frame_id, video_id, frame_index in rows:
        if not _try_acquire(video_id=video_id, frame_index=frame_index, user=user, now=now):
            continue
        # The candidate list may be stale: hand the frame out only if it still qualifies.
        if LabeledFrame.objects.filter(condition, pk=frame_id).update(assignee=user):
            return frame_id
        FrameLock.objects.filter(video_id=video_id, frame_index=frame_index, user=user).delete()
    return None


def next_frame_claim(*, project: Project, user: Any) -> tuple[LabeledFrame, FrameLock, str] | None:
    """Lock the best frame nobody else is on to ``user``; None when nothing is left."""
    now = timezone.now()
    for reason, condition in _buckets(user):
        for _ in range(ROUNDS):  # a round comes back empty only if others took its candidates
            candidates = _candidates(project, user, condition, now)
            with transaction.atomic():
                frame_id = _claim_one(candidates, condition, user, now)
            if frame_id is not None:
                frame = LabeledFrame.objects.get(pk=frame_id)
                lock = _hold(project_id=project.id, video_id=frame.video_id,
                             frame_index=frame.frame_index, user=user, now=now)  # fmt: skip
                if lock is not None:
                    return frame, lock, reason
                continue  # lost to someone else meanwhile: the next round picks again
            if not candidates.exists():
                break
    return None


def presence_list(*, project: Project) -> list[dict[str, Any]]:
    locks = (
        live_locks()
        .filter(video__project=project)
        .select_related("user")
        .order_by("user__username", "video_id", "frame_index")
    )
    return [lock_to_dict(lock) for lock in locks]
