"""Frame picking jobs: choose N frames of a video and make each a "todo" LabeledFrame.

The request creates a FramePickJob and queues ``labels.pick_frames`` once the
row is committed; the worker claims the job (queued -> running exactly once,
through the one job lifecycle of :mod:`backend.common.jobs`, which also reaps it
if the worker dies), picks frames with backend.videos.picking (k-means decodes the video, reporting
progress on the job) and adds an empty todo row for every picked frame that has
no row yet. Frames that already have labels are left as they are.
"""

from __future__ import annotations

import logging
import secrets
import socket
from typing import Any

from django.db import transaction

from backend.common import jobs, storage
from backend.common.exceptions import ApplicationError
from backend.labels.models import FramePickJob, LabeledFrame
from backend.videos import media, picking
from backend.videos.models import Video

logger = logging.getLogger(__name__)
MAX_PICK = 1000
Method = FramePickJob.Method


def pick_job_to_dict(job: FramePickJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "project": job.project_id,
        "video": job.video_id,
        "method": job.method,
        "count": job.count,
        "seed": job.seed,
        "status": job.status,
        "progress": job.progress,
        "message": job.message,
        "error": job.error,
        "frames": job.frames,
        "created_frames": job.created_frames,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def pick_job_create(
    *, video: Video, user: Any, method: str, count: int, seed: int | None = None
) -> FramePickJob:
    if method not in Method.values:
        raise ApplicationError(f"Unknown method {method!r} (use uniform, random or kmeans).")
    if video.status == Video.Status.FAILED:
        raise ApplicationError("This video failed processing; its frames cannot be picked.")
    limit = min(video.frame_count, MAX_PICK)
    if not 1 <= count <= limit:
        raise ApplicationError(f"count must be between 1 and {limit} for this video.")
    with transaction.atomic():
        job = FramePickJob.objects.create(
            project_id=video.project_id,
            video=video,
            method=method,
            count=count,
            seed=secrets.randbelow(2**31) if seed is None else seed,
            created_by=user,
        )
        transaction.on_commit(lambda: _enqueue(job.id))
    return job


def _enqueue(job_id: int) -> None:
    from backend.labels.tasks import frames_pick

    frames_pick.delay(job_id)


def _progress_saver(job_id: int) -> picking.Progress:
    """Progress with an ETA on the job row (also its heartbeat)."""
    return jobs.Progress(FramePickJob, job_id)


def _pick(job: FramePickJob, progress: picking.Progress) -> list[int]:
    video = job.video
    if job.method == Method.UNIFORM:
        return picking.pick_uniform(video.frame_count, job.count)
    if job.method == Method.RANDOM:
        return picking.pick_random(video.frame_count, job.count, job.seed)
    step = picking.sampling_step(video.frame_count, job.count)
    total = -(-video.frame_count // step)
    frames = media.iter_frames(storage.local_path(video.file.name), step=step)
    indices, features = picking.frame_features(frames, total, lambda f, m: progress(0.8 * f, m))
    progress(0.85, "Clustering frames")
    return picking.pick_kmeans(indices, features, min(job.count, len(indices)), job.seed)


def _add_todo_rows(video: Video, indices: list[int]) -> int:
    existing = set(
        LabeledFrame.objects.filter(video=video, frame_index__in=indices).values_list(
            "frame_index", flat=True
        )
    )
    rows = [
        LabeledFrame(video=video, frame_index=i, status=LabeledFrame.Status.TODO, picked=True)
        for i in indices
        if i not in existing
    ]
    LabeledFrame.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def pick_job_run(*, job_id: int, worker: str = "", heartbeat: bool = True) -> None:
    """Claim, pick and add todo rows; a heartbeat thread runs meanwhile (off for eager tasks)."""
    if not jobs.claim(FramePickJob, job_id, worker=worker or socket.gethostname()):
        return  # a redelivered task finds the job taken
    job = FramePickJob.objects.select_related("video").get(pk=job_id)
    with jobs.Heartbeat(FramePickJob, job_id, enabled=heartbeat):
        try:
            indices = _pick(job, _progress_saver(job_id))
            created = _add_todo_rows(job.video, indices)
        except Exception as exc:  # noqa: BLE001 - every failure is reported on the job
            logger.exception("frame pick job %s failed", job_id)
            jobs.fail(FramePickJob, job_id, error=f"Picking frames failed: {exc}")
            return
    jobs.finish(
        FramePickJob,
        job_id,
        frames=indices,
        created_frames=created,
        message=f"Picked {len(indices)} frames ({created} new to label)",
    )
