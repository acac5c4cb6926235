"""Celery door for encoder pretraining: decode frames, pretrain in a guarded child, store.

``pretrain_encoder(job_id, attempt)``: claim the job (a conditional UPDATE), decode
the sampled frames of the project's videos (polling cancel between videos), then run
:func:`ml_worker.pretrain.pretrain_payload` in a child under :mod:`ml_worker.guard`
(memory and wall-clock limits, cancel passed on), store the encoder file and finish.
Registered from ``backend.training.tasks`` so the worker's autodiscovery finds it.
"""

from __future__ import annotations

import json
import logging
import socket
import tempfile
import traceback
from pathlib import Path

import numpy as np
from celery import shared_task

from backend.common import jobs, storage
from backend.projects.models import Project

log = logging.getLogger(__name__)


@shared_task(name="ml_worker.tasks.pretrain_encoder", acks_late=True, reject_on_worker_lost=True)
def pretrain_encoder(job_id: int, attempt: int = 1) -> None:
    from backend.training.models import PretrainJob

    worker = f"{pretrain_encoder.request.hostname or socket.gethostname()}"
    if not jobs.claim(PretrainJob, job_id, worker=worker, attempt=attempt):
        log.info("pretraining job %s: already claimed, cancelled or finished; skipping", job_id)
        return
    with jobs.Heartbeat(PretrainJob, job_id, enabled=not pretrain_encoder.request.is_eager):
        try:
            _run(job_id)
        except Exception as exc:  # noqa: BLE001 - any failure ends the job with its message
            log.exception("pretraining job %s failed", job_id)
            jobs.fail(PretrainJob, job_id,
                      error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()[-3000:]}")


def _run(job_id: int) -> None:
    from django.conf import settings

    from backend.training import unlabeled
    from backend.training.models import PretrainJob
    from ml_worker.guard import Cancelled, ChildFailed, GuardedChild, LimitExceeded
    from ml_worker.pretrain import frames_save

    job = PretrainJob.objects.get(pk=job_id)
    progress = jobs.Progress(PretrainJob, job_id)
    config = dict(job.config)
    count = int(config.pop("frames", unlabeled.DEFAULT_FRAMES))
    try:
        frames = _decode(job.project, count, progress)
        with tempfile.TemporaryDirectory(prefix="poseforge-pretrain-") as tmp:
            frames_path, out_path = Path(tmp) / "frames.npz", Path(tmp) / "encoder.pt"
            frames_save(frames, frames_path)
            del frames
            payload = Path(tmp) / "job.json"
            payload.write_text(json.dumps({
                "config": config, "frames": str(frames_path), "out_path": str(out_path),
                "info": {"pretrain_job": job_id, "project": job.project_id}}))  # fmt: skip
            budget = float(config["max_seconds"])
            child = GuardedChild("ml_worker.pretrain:pretrain_payload", payload,
                                 memory_limit_mb=settings.TRAINING_MAX_MEMORY_MB,
                                 time_limit_s=budget + max(120.0, 0.25 * budget))  # fmt: skip

            def report(info: dict) -> None:
                loss = info.get("loss")
                message = f"Pretraining (loss {loss:.4f})" if loss is not None else "Pretraining"
                progress(float(info.get("fraction", 0.0)), message)

            result = child.run(report, progress.should_stop)
            key = storage.save_file(unlabeled.pretrain_weights_key(job), out_path)
    except Cancelled:
        jobs.mark_cancelled(PretrainJob, job_id)
        return
    except (LimitExceeded, ChildFailed) as exc:
        jobs.fail(PretrainJob, job_id, error=str(exc))
        return
    jobs.finish(PretrainJob, job_id, message=f"Pretrained on {result['frames']} frames",
                weights=key, result=result)


def _decode(project: Project, count: int, progress: jobs.Progress) -> list[np.ndarray]:
    from backend.training import unlabeled
    from backend.videos import media
    from backend.videos.services import video_local_path
    from ml_worker.guard import Cancelled

    plan = unlabeled.pretrain_frame_plan(project=project, count=count)
    frames: list[np.ndarray] = []
    for video, indices in plan:
        if progress.should_stop():
            raise Cancelled()
        progress(0.0, f"Decoding frames of {video.name}")
        frames += media.read_frames(video_local_path(video), indices)
    if not frames:
        raise ValueError("no video frames could be read")
    return frames
