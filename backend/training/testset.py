"""A project's pinned test set: labeled frames that no training run ever sees.

Training splits the rest of the labels into train (fitted) and validation
(early stopping, choice of checkpoint); the test frames are only scored once a
model is trained, so the figure the versions page shows first was not used to
pick the model. The set is ``Project.test_frames``; it lives in this app
because it only exists for training, and this app sits above labels.

Pinning draws ``count`` frames at random (seeded: the same labels and seed give
the same set) among the frames a training run would use; single frames can be
added or removed, and the whole set cleared. (Functions are ``testset_*``, not
``test_set_*``: a test module importing them would have pytest collect them.)
"""

from __future__ import annotations

import random
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from backend.common.exceptions import ApplicationError
from backend.labels.models import LabeledFrame
from backend.projects.models import Project

# Frames a training run with unreviewed labels included would take (see snapshot_freeze).
ELIGIBLE = [
    LabeledFrame.Status.APPROVED,
    LabeledFrame.Status.SUBMITTED,
    LabeledFrame.Status.IN_PROGRESS,
]
# Frames that must stay outside the test set for a model to be trainable at all.
MIN_TRAINING_FRAMES = 2


def eligible_frames(project: Project) -> QuerySet[LabeledFrame]:
    """Labeled frames with at least one instance, in statuses training uses."""
    return (
        LabeledFrame.objects.filter(
            video__project=project, status__in=ELIGIBLE, instances__isnull=False
        )
        .distinct()
        .order_by("id")
    )


def testset_to_dict(project: Project) -> dict[str, Any]:
    frames = project.test_frames.order_by("video_id", "frame_index")
    return {
        "frames": [
            {"id": f.id, "video": f.video_id, "frame_index": f.frame_index, "status": f.status}
            for f in frames
        ],
        "eligible_frames": eligible_frames(project).count(),
    }


@transaction.atomic
def testset_pin(*, project: Project, count: int, seed: int = 0) -> dict[str, Any]:
    """Replace the test set with ``count`` labeled frames drawn at random with ``seed``."""
    ids = list(eligible_frames(project).values_list("id", flat=True))
    room = len(ids) - MIN_TRAINING_FRAMES
    if count > room:
        raise ApplicationError(
            f"Cannot pin {count} test frames: the project has {len(ids)} labeled frames and "
            f"training needs {MIN_TRAINING_FRAMES} outside the test set (at most {max(room, 0)}).",
            {"eligible_frames": len(ids)},
        )
    project.test_frames.set(random.Random(seed).sample(ids, count))
    return testset_to_dict(project)


def testset_clear(*, project: Project) -> dict[str, Any]:
    project.test_frames.clear()
    return testset_to_dict(project)


def testset_frame_set(*, project: Project, frame_id: int, pinned: bool) -> dict[str, Any]:
    """Add one labeled frame of the project to the test set, or take it out."""
    frame = LabeledFrame.objects.filter(pk=frame_id, video__project=project).first()
    if frame is None:
        raise Http404("This labeled frame does not exist in this project.")
    if pinned:
        project.test_frames.add(frame)
    else:
        project.test_frames.remove(frame)
    return testset_to_dict(project)


def testset_frame_ids(project: Project) -> set[int]:
    return set(project.test_frames.values_list("id", flat=True))
