"""Review: an annotator submits a frame, a reviewer approves it or rejects it with a comment.

A rejected frame goes back to its assignee (their "my frames" strip shows it with
the comment) and returns to in_progress on their next save. Every status change is
a conditional UPDATE from the expected status, so two reviewers deciding at once
cannot both win, and it leaves a LabelHistory row (action submit / approve / reject).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from backend.common.exceptions import ApplicationError, ConflictError
from backend.labels.models import FrameLock, LabeledFrame, LabelHistory, ReviewComment
from backend.labels.services import (
    comment_to_dict,
    labeled_frame_get,
    labeled_frames_query,
    latest_comment,
    user_ref,
)
from backend.projects.models import Membership, Node, Project, role_at_least
from backend.videos.models import Video

Status = LabeledFrame.Status
SUBMITTABLE = (Status.TODO, Status.IN_PROGRESS, Status.REJECTED)
MAX_COMMENT_CHARS = 5000


def _frame_or_404(video: Video, frame_index: int) -> LabeledFrame:
    frame = labeled_frame_get(video=video, frame_index=frame_index)
    if frame is None:
        raise ApplicationError("Frame not labeled yet", status_code=404)
    return frame


def _check_version(frame: LabeledFrame, version: int | None) -> None:
    if version is not None and version != frame.version:
        raise ConflictError(
            f"This frame changed since you loaded it (your version {version}, current "
            f"{frame.version}). Reload it before deciding.",
            {"current_version": frame.version},
        )


def _move(frame: LabeledFrame, *, user: Any, sources: tuple[str, ...], target: str) -> None:
    changes: dict[str, Any] = {"status": target}
    if target == Status.SUBMITTED:
        changes["submitted_at"] = timezone.now()
        changes["submitted_by"] = user
    moved = LabeledFrame.objects.filter(
        pk=frame.pk, status__in=sources, version=frame.version
    ).update(**changes)
    if not moved:
        raise ConflictError("Someone changed this frame a moment ago. Reload it and try again.")
    # The actor is done with the frame: their lock goes with the status change.
    FrameLock.objects.filter(
        video_id=frame.video_id, frame_index=frame.frame_index, user=user
    ).delete()
    action = {"submitted": "submit", "approved": "approve", "rejected": "reject"}[target]
    LabelHistory.objects.create(
        labeled_frame=frame,
        user=user,
        action=action,
        version=frame.version,
        before=None,
        after=None,
    )


def frame_submit(
    *, video: Video, frame_index: int, user: Any, version: int | None = None
) -> LabeledFrame:
    frame = _frame_or_404(video, frame_index)
    _check_version(frame, version)
    if frame.status not in SUBMITTABLE:
        raise ApplicationError(f"This frame is already {frame.status}; there is nothing to submit.")
    if not frame.instances.exists():
        raise ApplicationError("Label at least one instance before submitting this frame.")
    with transaction.atomic():
        _move(frame, user=user, sources=SUBMITTABLE, target=Status.SUBMITTED)
        LabeledFrame.objects.filter(pk=frame.pk, assignee__isnull=True).update(assignee=user)
        frame.review_comments.filter(decision=ReviewComment.Decision.REJECT).update(resolved=True)
    return labeled_frame_get(video=video, frame_index=frame_index)  # type: ignore[return-value]


def _check_node(project_id: int, node: int | None) -> None:
    if node is not None and not Node.objects.filter(project_id=project_id, pk=node).exists():
        raise ApplicationError(f"Node {node} is not in this project's skeleton.")


def frame_review(
    *,
    video: Video,
    frame_index: int,
    user: Any,
    decision: str,
    comment: str = "",
    node: int | None = None,
    version: int | None = None,
) -> LabeledFrame:
    """Approve or reject a submitted frame; a reject must say what to fix."""
    if decision not in ReviewComment.Decision.values:
        raise ApplicationError("decision must be 'approve' or 'reject'.")
    comment = (comment or "").strip()
    if decision == ReviewComment.Decision.REJECT and not comment:
        raise ApplicationError("Say what to fix: a reject needs a comment for the annotator.")
    if len(comment) > MAX_COMMENT_CHARS:
        raise ApplicationError(f"A comment holds at most {MAX_COMMENT_CHARS} characters.")
    _check_node(video.project_id, node)
    frame = _frame_or_404(video, frame_index)
    _check_version(frame, version)
    if frame.status != Status.SUBMITTED:
        raise ApplicationError(
            f"Only submitted frames can be reviewed; this one is {frame.status.replace('_', ' ')}."
        )
    if decision == ReviewComment.Decision.APPROVE:
        _check_four_eyes(video.project, frame, user)
    target = Status.APPROVED if decision == ReviewComment.Decision.APPROVE else Status.REJECTED
    with transaction.atomic():
        _move(frame, user=user, sources=(Status.SUBMITTED,), target=target)
        ReviewComment.objects.create(
            labeled_frame=frame, author=user, decision=decision, text=comment, node_id=node
        )
    return labeled_frame_get(video=video, frame_index=frame_index)  # type: ignore[return-value]


def own_work(frame: LabeledFrame, user: Any) -> bool:
    """Whether ``user`` sent this frame to review or made its latest edit."""
    return user.pk in (frame.submitted_by_id, frame.updated_by_id)


def _check_four_eyes(project: Project, frame: LabeledFrame, user: Any) -> None:
    """Four-eyes review: approving your own work needs the project to allow it."""
    if not project.allow_self_review and own_work(frame, user):
        raise ApplicationError(
            "You submitted or last edited this frame, so another reviewer has to approve it "
            "(a project owner can allow self-review in the project settings).",
            status_code=403,
        )


def comments_for_frame(*, video: Video, frame_index: int) -> list[dict[str, Any]]:
    comments = ReviewComment.objects.filter(
        labeled_frame__video=video, labeled_frame__frame_index=frame_index
    ).select_related("author")
    return [comment_to_dict(c) for c in comments]


def _frame_summary(frame: LabeledFrame) -> dict[str, Any]:
    return {
        "id": frame.id,
        "video": frame.video_id,
        "video_name": frame.video.name,
        "frame_index": frame.frame_index,
        "status": frame.status,
        "version": frame.version,
        "assignee": user_ref(frame.assignee),
        "submitted_at": frame.submitted_at.isoformat() if frame.submitted_at else None,
        "submitted_by": user_ref(frame.submitted_by),
        "updated_by": user_ref(frame.updated_by),
        "latest_comment": latest_comment(frame),
    }


def review_queue(*, project: Project) -> list[dict[str, Any]]:
    frames = (
        labeled_frames_query()
        .select_related("video")
        .filter(video__project=project, status=Status.SUBMITTED)
        .order_by("submitted_at", "id")
    )
    return [_frame_summary(f) for f in frames]


def my_frames(*, project: Project, user: Any) -> list[dict[str, Any]]:
    frames = (
        labeled_frames_query()
        .select_related("video")
        .filter(video__project=project, assignee=user, status__in=SUBMITTABLE)
        .order_by("video_id", "frame_index")
    )
    return [_frame_summary(f) for f in frames]


def _by_status(rows: Any) -> dict[str, int]:
    counts = dict.fromkeys(Status.values, 0)
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def _per_annotator(project: Project) -> list[dict[str, Any]]:
    frames = LabeledFrame.objects.filter(video__project=project)
    rows = {
        row["assignee"]: row
        for row in frames.filter(assignee__isnull=False)
        .values("assignee")
        .annotate(
            labeled=Count("id", filter=Q(version__gt=0)),
            submitted=Count("id", filter=Q(status=Status.SUBMITTED)),
            approved=Count("id", filter=Q(status=Status.APPROVED)),
            rejected=Count("id", filter=Q(status=Status.REJECTED)),
        )
    }
    members = Membership.objects.filter(project=project).select_related("user")
    people = [
        m.user
        for m in members
        if role_at_least(m.role, Membership.Role.ANNOTATOR) or m.user_id in rows
    ]
    keys = ("labeled", "submitted", "approved", "rejected")
    return [
        {"user": user_ref(u), **{k: rows.get(u.id, {}).get(k, 0) for k in keys}}
        for u in sorted(people, key=lambda u: u.username)
    ]


def project_dashboard(*, project: Project) -> dict[str, Any]:
    frames = LabeledFrame.objects.filter(video__project=project)
    per_video: dict[int, list[dict[str, Any]]] = {}
    for row in frames.values("video", "status").annotate(n=Count("id")):
        per_video.setdefault(row["video"], []).append(row)
    return {
        "by_status": _by_status(frames.values("status").annotate(n=Count("id"))),
        "annotators": _per_annotator(project),
        "videos": [
            {
                "id": v.id,
                "name": v.name,
                "frame_count": v.frame_count,
                "by_status": _by_status(per_video.get(v.id, [])),
            }
            for v in project.videos.all()
        ],
    }
