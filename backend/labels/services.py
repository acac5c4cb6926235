"""Saving labels with optimistic concurrency and a history row for every accepted change.

A save names the ``version`` it was based on. The row is bumped with a
conditional UPDATE (``WHERE version = expected``), so of two concurrent saves
based on the same version exactly one wins and the other gets HTTP 409 with
the current state: never a silent overwrite.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone

from backend.common.exceptions import ApplicationError, ConflictError
from backend.labels.models import FrameLock, Instance, LabeledFrame, LabelHistory, ReviewComment
from backend.videos.models import Video

MAX_INSTANCES_PER_FRAME = 64
VISIBILITIES = {0, 1, 2}


def instance_to_dict(instance: Instance) -> dict[str, Any]:
    return {
        "id": instance.id,
        "track": instance.track,
        "source": instance.source,
        "points": instance.points,
    }


def user_ref(user: Any) -> dict[str, Any] | None:
    return {"id": user.id, "username": user.username} if user else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def comment_to_dict(comment: ReviewComment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "author": user_ref(comment.author),
        "decision": comment.decision,
        "text": comment.text,
        "node": comment.node_id,
        "created_at": _iso(comment.created_at),
        "resolved": comment.resolved,
    }


def latest_comment(frame: LabeledFrame) -> dict[str, Any] | None:
    comments = list(frame.review_comments.all())  # prefetched by the list queries
    return comment_to_dict(comments[-1]) if comments else None


def live_locks(now: datetime | None = None) -> QuerySet[FrameLock]:
    return FrameLock.objects.filter(expires_at__gt=now or timezone.now())


def live_locks_by_frame(frames: list[LabeledFrame]) -> dict[tuple[int, int], FrameLock]:
    """The live locks on these frames, in one query (locks are keyed by video + index)."""
    videos = {f.video_id for f in frames}
    locks = live_locks().filter(video_id__in=videos).select_related("user")
    wanted = {(f.video_id, f.frame_index) for f in frames}
    return {
        (lock.video_id, lock.frame_index): lock
        for lock in locks
        if (lock.video_id, lock.frame_index) in wanted
    }


def labeled_frames_to_dicts(frames: Any) -> list[dict[str, Any]]:
    frames = list(frames)
    locks = live_locks_by_frame(frames)
    return [labeled_frame_to_dict(f, locks) for f in frames]


def labeled_frame_to_dict(
    frame: LabeledFrame, locks: dict[tuple[int, int], FrameLock] | None = None
) -> dict[str, Any]:
    """The frame as the API shows it; ``locks`` (from live_locks_by_frame) is looked up if absent."""
    if locks is None:
        locks = live_locks_by_frame([frame])
    lock = locks.get((frame.video_id, frame.frame_index))
    return {
        "id": frame.id,
        "video": frame.video_id,
        "frame_index": frame.frame_index,
        "status": frame.status,
        "version": frame.version,
        "updated_at": _iso(frame.updated_at),
        "updated_by": user_ref(frame.updated_by),
        "assignee": user_ref(frame.assignee),
        "locked_by": user_ref(lock.user) if lock else None,
        "lock_expires_at": _iso(lock.expires_at) if lock else None,
        "submitted_at": _iso(frame.submitted_at),
        "submitted_by": user_ref(frame.submitted_by),
        "latest_comment": latest_comment(frame),
        "instances": [instance_to_dict(i) for i in frame.instances.all()],
    }


def unlabeled_frame_to_dict(*, video: Video, frame_index: int) -> dict[str, Any]:
    """A frame without a row, shaped like labeled_frame_to_dict: ``id`` null, version 0."""
    check_frame_index(video, frame_index, status_code=404)
    lock = live_locks().select_related("user").filter(video=video, frame_index=frame_index).first()
    return {
        "id": None,
        "video": video.id,
        "frame_index": frame_index,
        "status": LabeledFrame.Status.TODO,
        "version": 0,
        "updated_at": None,
        "updated_by": None,
        "assignee": None,
        "locked_by": user_ref(lock.user) if lock else None,
        "lock_expires_at": _iso(lock.expires_at) if lock else None,
        "submitted_at": None,
        "submitted_by": None,
        "latest_comment": None,
        "instances": [],
    }


def labeled_frames_query() -> QuerySet[LabeledFrame]:
    """Everything labeled_frame_to_dict reads, in a fixed number of queries."""
    return LabeledFrame.objects.select_related(
        "updated_by", "assignee", "submitted_by"
    ).prefetch_related(
        "instances", Prefetch("review_comments", ReviewComment.objects.select_related("author"))
    )


def _clean_point(point: Any, node_ids: set[int]) -> dict[str, Any]:
    if not isinstance(point, dict):
        raise ApplicationError("Each point must be an object with node, x, y and visibility.")
    node = point.get("node")
    if node not in node_ids:
        raise ApplicationError(f"Point refers to node {node!r}, which is not in the skeleton.")
    visibility = point.get("visibility", 2)
    if visibility not in VISIBILITIES:
        raise ApplicationError("visibility must be 2 (visible), 1 (occluded) or 0 (not in frame).")
    try:
        x, y = float(point["x"]), float(point["y"])
    except (KeyError, TypeError, ValueError):
        raise ApplicationError(f"Point for node {node} needs numeric x and y.") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ApplicationError(
            f"Point for node {node} has a non-finite coordinate: x and y must be valid numbers."
        )
    return {"node": node, "x": x, "y": y, "visibility": visibility}


def clean_instances(*, video: Video, instances: Any) -> list[dict[str, Any]]:
    """Validate instances at the boundary; later code trusts their shape."""
    if not isinstance(instances, list):
        raise ApplicationError("instances must be a list.")
    if len(instances) > MAX_INSTANCES_PER_FRAME:
        raise ApplicationError(f"A frame holds at most {MAX_INSTANCES_PER_FRAME} instances.")
    node_ids = set(video.project.nodes.values_list("id", flat=True))
    cleaned = []
    for item in instances:
        if not isinstance(item, dict):
            raise ApplicationError("Each instance must be an object.")
        points = item.get("points", [])
        if not isinstance(points, list):
            raise ApplicationError("points must be a list.")
        clean = [_clean_point(p, node_ids) for p in points]
        if len({p["node"] for p in clean}) != len(clean):
            raise ApplicationError("An instance names the same node twice.")
        track = item.get("track")
        if track is not None and (not isinstance(track, str) or len(track) > 100):
            raise ApplicationError("track must be a string of at most 100 characters.")
        source = item.get("source", Instance.Source.HUMAN)
        if source not in Instance.Source.values:
            raise ApplicationError("source must be 'human' or 'model'.")
        cleaned.append({"track": track, "source": source, "points": clean})
    _check_project_instances(video.project, cleaned)
    return cleaned


def _check_project_instances(project: Any, instances: list[dict[str, Any]]) -> None:
    """The project's animal count and track list bound what a frame may hold."""
    cap = project.max_instances
    if cap is not None and len(instances) > cap:
        animals = "one animal" if cap == 1 else f"{cap} animals"
        raise ApplicationError(
            f"This project allows {animals} per frame; the frame has {len(instances)} instances."
        )
    given = {i["track"] for i in instances if i["track"] is not None}
    if not given:
        return  # untracked instances need no lookup: the save path keeps its query count
    names = set(project.tracks.values_list("name", flat=True))
    unknown = sorted(given - names)
    if names and unknown:
        raise ApplicationError(
            f"Unknown track {', '.join(map(repr, unknown))}: use one of the project's tracks "
            f"({', '.join(sorted(names))})."
        )


def labeled_frame_get(*, video: Video, frame_index: int) -> LabeledFrame | None:
    return labeled_frames_query().filter(video=video, frame_index=frame_index).first()


def check_frame_index(video: Video, frame_index: int, status_code: int = 400) -> None:
    """Writes to a frame past the end are a bad request; reading one is a 404, like its JPEG."""
    if frame_index < 0 or frame_index >= video.frame_count:
        raise ApplicationError(
            f"Frame {frame_index} is out of range (the video has {video.frame_count} frames).",
            status_code=status_code,
        )


def _conflict(
    video: Video, frame_index: int, expected: int, current: LabeledFrame | None = None
) -> ConflictError:
    """409 with the current state; ``current`` is read here unless the caller already has it."""
    if current is None:
        current = labeled_frame_get(video=video, frame_index=frame_index)
    who = current.updated_by.username if current and current.updated_by else "someone"
    return ConflictError(
        f"This frame was changed by {who} since you loaded it (your version {expected}, "
        f"current {current.version if current else 0}). Choose which version to keep.",
        {"current": labeled_frame_to_dict(current) if current else None},
    )


def labels_save(
    *, video: Video, frame_index: int, user: Any, version: int, instances: Any
) -> LabeledFrame:
    """Replace the instances of one frame if ``version`` is still current.

    Editing an approved frame sends it back to review (status submitted, with a
    "reopen" history row): approved labels are what training trusts, so they never
    change without a reviewer seeing the change.

    The hot path of a labeling team, so it costs a fixed handful of queries: read the
    frame with everything the response shows, one conditional UPDATE, replace the
    instances, one history INSERT. The returned frame is built in memory, not re-read.
    """
    check_frame_index(video, frame_index)
    cleaned = clean_instances(video=video, instances=instances)
    try:
        with transaction.atomic():
            frame, reopened = _claim_version(video, frame_index, user, version)
            before = [instance_to_dict(i) for i in frame.instances.all()]
            if before:
                Instance.objects.filter(labeled_frame=frame).delete()
            created = Instance.objects.bulk_create(
                Instance(labeled_frame=frame, **item) for item in cleaned
            )
            LabelHistory.objects.bulk_create(
                _history_rows(frame, user, version, before, created, reopened)
            )
    except IntegrityError:
        # Two first saves of the same frame raced on the unique (video, frame) row.
        raise _conflict(video, frame_index, version) from None
    _cache_related(frame, "instances", created)
    return frame


def _cache_related(frame: LabeledFrame, name: str, rows: list[Any]) -> None:
    """Make ``frame.<name>.all()`` answer ``rows`` without a query, as prefetch_related
    does (Django's prefetch cache: a queryset whose results are already filled in)."""
    queryset = getattr(frame, name).all()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    frame._prefetched_objects_cache[name] = queryset  # type: ignore[attr-defined]


def _history_rows(
    frame: LabeledFrame,
    user: Any,
    version: int,
    before: list[dict[str, Any]],
    created: list[Instance],
    reopened: bool,
) -> list[LabelHistory]:
    after = [instance_to_dict(i) for i in created]
    action = "create" if version == 0 else "update"
    rows = [LabelHistory(labeled_frame=frame, user=user, action=action, version=frame.version,
                         before=before, after=after)]  # fmt: skip
    if reopened:
        rows.append(
            LabelHistory(labeled_frame=frame, user=user, action="reopen", version=frame.version)
        )
    return rows


def _status_after_edit(status: str) -> str:
    """An edit starts work on a todo/rejected frame and sends an approved one back to review."""
    Status = LabeledFrame.Status
    if status in (Status.TODO, Status.REJECTED):
        return Status.IN_PROGRESS
    if status == Status.APPROVED:
        return Status.SUBMITTED
    return status  # in progress stays; submitted stays in the review queue, now at the new version


def _claim_version(
    video: Video, frame_index: int, user: Any, version: int
) -> tuple[LabeledFrame, bool]:
    """Bump ``version`` by one with a conditional UPDATE; a frame without a row gets one.

    The frame is read first (with what the response needs), then written with
    ``UPDATE ... WHERE version = expected``: that UPDATE decides between concurrent
    saves, so a read that was stale by the time of the write still loses with a 409.
    A picked frame already has a row at version 0, so its first save takes the same
    UPDATE path as every later save. Returns the frame and whether an approved frame
    was sent back to review.
    """
    frame = labeled_frame_get(video=video, frame_index=frame_index)
    if frame is None:
        if version != 0:
            raise _conflict(video, frame_index, version)
        # Raises IntegrityError if a concurrent first save created the row meanwhile.
        created = LabeledFrame.objects.create(
            video=video, frame_index=frame_index, version=1, updated_by=user, assignee=user
        )
        created._prefetched_objects_cache = {}  # type: ignore[attr-defined]
        _cache_related(created, "review_comments", [])
        return created, False
    if frame.version != version:
        raise _conflict(video, frame_index, version, frame)
    reopened = frame.status == LabeledFrame.Status.APPROVED
    changes = _edit_changes(frame, user, reopened)
    updated = LabeledFrame.objects.filter(pk=frame.pk, version=version).update(
        version=F("version") + 1, **changes
    )
    if updated != 1:
        raise _conflict(video, frame_index, version)
    for field, value in changes.items():
        setattr(frame, field, value)
    frame.version = version + 1
    return frame, reopened


def _edit_changes(frame: LabeledFrame, user: Any, reopened: bool) -> dict[str, Any]:
    """The columns a save sets besides ``version`` (the frame's in-memory copy follows them)."""
    changes: dict[str, Any] = {
        "updated_by": user,
        "updated_at": timezone.now(),
        "status": _status_after_edit(frame.status),
    }
    if frame.assignee_id is None:
        changes["assignee"] = user
    if reopened:
        changes["submitted_at"] = timezone.now()
        changes["submitted_by"] = user
    return changes


def history_for_frame(*, video: Video, frame_index: int) -> list[dict[str, Any]]:
    rows = LabelHistory.objects.filter(
        labeled_frame__video=video, labeled_frame__frame_index=frame_index
    ).select_related("user")
    return [
        {
            "id": row.id,
            "user": row.user.username if row.user else None,
            "created_at": row.created_at.isoformat(),
            "action": row.action,
            "version": row.version,
            "before": row.before,
            "after": row.after,
        }
        for row in rows
    ]
