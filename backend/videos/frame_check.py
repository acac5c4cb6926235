"""Find labels, snapshots and suggestions that were made from wrongly decoded frames.

Until FRAME_CACHE_VERSION 2, single frames came from ``legacy_read_frame`` below:
seek to a timestamp computed from the frame rate, return the first frame at or
after it. It returned solid green frames for videos from x264 builds before 151
in 4:4:4 (DeepLabCut's m3v1mp4.mp4 from frame 182 on) and neighbouring frames for
AVI files with B-frames or HEVC leading pictures. Annotators labeled those images,
snapshots trained on them and suggestions were ranked on them.

``video_frames_check`` decodes every frame something refers to twice, exactly
(``media.read_frames``) and the old way, and reports the frames where the two
differ with what used them. ``labeled_frames_flag`` sends the labeled ones back
for re-review: a reject comment from nobody (author null) saying why, and
submitted/approved frames go to "rejected" so they come back to their annotator.
Snapshots are immutable and suggestions are only listed: the owner decides.

It reads rows of apps above ``videos`` (labels, training, inference) through the
app registry: a maintenance tool, not a dependency of the domain code.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
from django.apps import apps
from django.db import transaction

from backend.common import storage
from backend.videos import frame_index, media
from backend.videos.models import Video

FLAG_TEXT = (
    "PoseForge showed this frame decoded wrongly when it was labeled (found by "
    "manage.py check_frames). Check every point against the corrected image, then submit again."
)


@dataclass
class BadFrame:
    video_id: int
    video_name: str
    frame_index: int
    reason: str
    uses: list[str] = field(default_factory=list)


def legacy_read_frame(path: Path, index: int) -> np.ndarray | None:
    """What PoseForge's reader returned before the frame index (None where it found nothing)."""
    with av.open(str(path), mode="r", metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        stream.thread_type = "SLICE"
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        tb = stream.time_base
        target = (stream.start_time or 0) + int(round(index / rate / tb))
        if index > 0:
            container.seek(target, stream=stream, backward=True, any_frame=False)
        for frame in container.decode(stream):
            if frame.pts is not None and frame.pts >= target - (1 / rate / tb) / 2:
                return frame.to_ndarray(format="rgb24")
    return None


def frame_uses(video: Video) -> dict[int, list[str]]:
    """Frame index → what refers to it: labeled frames, label snapshots, suggestions."""
    uses: dict[int, list[str]] = defaultdict(list)
    labeled = apps.get_model("labels", "LabeledFrame").objects.filter(
        video=video, instances__isnull=False
    )
    for row in labeled.distinct().order_by("frame_index"):
        uses[row.frame_index].append(f"labeled frame #{row.id} ({row.status})")
    snapshots = apps.get_model("training", "LabelSnapshot").objects.filter(project=video.project_id)
    for snapshot in snapshots.order_by("id"):
        for frame in snapshot.content.get("frames", []):
            if frame.get("video") == video.id:
                uses[int(frame["frame_index"])].append(f"snapshot #{snapshot.id}")
    suggestions = apps.get_model("inference", "Suggestion").objects.filter(video=video)
    for row in suggestions.order_by("id"):
        uses[row.frame_index].append(f"suggestion #{row.id} ({row.status})")
    return dict(uses)


def video_frames_check(*, video: Video) -> list[BadFrame]:
    """Frames in use whose old decode differs from the exact one, with their uses."""
    uses = frame_uses(video)
    path = storage.local_path(video.file.name)
    count = len(frame_index.get(path))
    bad = [
        BadFrame(video.id, video.name, i, "past the end of the video", uses[i])
        for i in sorted(uses)
        if i >= count
    ]
    readable = [i for i in sorted(uses) if i < count]
    for index, exact in zip(readable, media.read_frames(path, readable), strict=True):
        old = legacy_read_frame(path, index)
        if old is None or not np.array_equal(old, exact):
            bad.append(BadFrame(video.id, video.name, index, _difference(old, exact), uses[index]))
    return sorted(bad, key=lambda b: b.frame_index)


def _difference(old: np.ndarray | None, exact: np.ndarray) -> str:
    if old is None:
        return "the old reader found no frame"
    if old.shape != exact.shape:
        return "the old reader gave another size"
    flat = bool((old == old.reshape(-1, old.shape[-1])[0]).all())
    mean = float(np.abs(old.astype(np.int16) - exact).mean())
    return f"{'a flat single-colour image' if flat else 'another image'} (mean |diff| {mean:.1f})"


def labeled_frames_flag(*, video: Video, indices: list[int]) -> int:
    """Send the labeled frames at ``indices`` back for re-review; returns how many were flagged."""
    labeled_frame = apps.get_model("labels", "LabeledFrame")
    frames = labeled_frame.objects.filter(
        video=video, frame_index__in=indices, instances__isnull=False
    ).distinct()
    return sum(_flag(frame) for frame in frames)


def _flag(frame) -> bool:
    if frame.review_comments.filter(text=FLAG_TEXT, resolved=False).exists():
        return False  # flagged by an earlier run and not yet fixed
    status = type(frame).Status
    with transaction.atomic():
        if frame.status in (status.SUBMITTED, status.APPROVED):
            type(frame).objects.filter(pk=frame.pk).update(status=status.REJECTED)
        frame.review_comments.create(author=None, decision="reject", text=FLAG_TEXT)
        frame.history.create(
            user=None, action="reject", version=frame.version, before=None, after=None
        )
    return True
