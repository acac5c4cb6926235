"""Celery doors between the database and the pure ML code (the only Django-aware module here).

``train_model(job_id, attempt)``: claim the job (a conditional UPDATE, so a
redelivered message never trains twice), rebuild the frozen snapshot as a
``PoseDataset``, train with progress/heartbeat/cancel callbacks, export the
download zip and publish a ModelVersion. Torch is imported inside the task
body only, so the web process can import this module for ``.delay()``.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from celery import shared_task
from django.db import connection

from ml_worker import inference_tasks  # noqa: F401, E402 - registers ml_worker.tasks.run_inference

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0


@shared_task(name="ml_worker.tasks.train_model", acks_late=True, reject_on_worker_lost=True)
def train_model(job_id: int, attempt: int = 1) -> None:
    from backend.training import services

    worker = f"{train_model.request.hostname or socket.gethostname()}"
    if not services.job_claim(job_id=job_id, attempt=attempt, worker=worker):
        log.info(
            "training job %s attempt %s: already claimed, cancelled or finished; skipping",
            job_id,
            attempt,
        )
        return
    # An eager run (tests) shares the caller's database transaction: a second writer thread
    # would only wait on its lock.
    with _Heartbeat(job_id, enabled=not train_model.request.is_eager):
        try:
            _run(job_id)
        except Exception as exc:  # noqa: BLE001 - any failure ends the job with its message
            log.exception("training job %s failed", job_id)
            services.job_fail(
                job_id=job_id,
                error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()[-3000:]}",
            )


class _Heartbeat:
    """Keeps ``heartbeat_at`` fresh while the task is alive, even in phases without progress."""

    def __init__(self, job_id: int, *, enabled: bool = True) -> None:
        self.job_id = job_id
        self.enabled = enabled
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        from django.utils import timezone

        from backend.training.models import TrainingJob

        try:
            while not self.stop.wait(HEARTBEAT_SECONDS):
                TrainingJob.objects.filter(pk=self.job_id, status="running").update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connection.close()

    def __enter__(self) -> _Heartbeat:
        if self.enabled:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.enabled:
            self.thread.join(timeout=HEARTBEAT_SECONDS * 2)


def _run(job_id: int) -> None:
    from backend.training import services
    from backend.training.models import TrainingJob
    from ml_worker.config import TrainConfig
    from ml_worker.dataset import make_split
    from ml_worker.export import write_download_zip
    from ml_worker.train import train

    job = TrainingJob.objects.select_related("snapshot", "parent_version").get(pk=job_id)
    cfg = TrainConfig.from_dict(job.config)
    services.job_report(job_id=job_id, info={"message": "Decoding labeled frames", "fraction": 0.0})
    dataset = snapshot_dataset(job.snapshot.content)
    split = (
        make_split(dataset.keys, val_fraction=0.2, seed=cfg.seed)
        if len(dataset) >= 5
        else {"train": dataset.keys, "val": []}
    )
    services.job_set_split(job_id=job_id, split=split)
    out_dir = services.model_dir(job)
    init = None
    if job.parent_version is not None:
        from django.conf import settings

        init = Path(settings.MEDIA_ROOT) / job.parent_version.artifact_dir / "weights.pt"
    progress = _ProgressReporter(job_id)
    result = train(
        cfg,
        dataset,
        split,
        out_dir,
        on_progress=progress,
        should_stop=progress.should_stop,
        init_weights=init,
    )
    if result.status == "cancelled" or result.artifact is None:
        services.job_mark_cancelled(job_id=job_id)
        return
    services.job_report(
        job_id=job_id, info={"message": "Exporting TorchScript and ONNX", "fraction": 1.0}
    )
    zip_path = write_download_zip(
        out_dir, out_dir / f"poseforge-model-job{job_id}.zip"
    )
    metrics = {
        **result.metrics,
        "steps": result.steps,
        "train_seconds": round(result.seconds, 1),
        "stop_reason": result.status,
    }
    services.job_publish(
        job_id=job_id, metrics=metrics, config=result.artifact.config_dict(), download=zip_path
    )


class _ProgressReporter:
    """on_progress / should_stop callbacks for ``train``: throttled database writes."""

    def __init__(self, job_id: int, *, enabled: bool = True) -> None:
        self.job_id = job_id
        self.enabled = enabled
        self.stop = False
        self.last_check = 0.0
        self.last_history: tuple[Any, ...] | None = None

    def __call__(self, info: dict[str, Any]) -> None:
        from backend.training import services

        entry = None
        if info.get("val_loss") is not None:
            key = (info.get("stage"), info.get("step"))
            if key != self.last_history:
                self.last_history = key
                entry = {
                    k: info.get(k)
                    for k in ("stage", "epoch", "step", "train_loss", "val_loss", "elapsed_seconds")
                }
        stage = info.get("stage", "")
        info = {**info, "message": f"Training ({stage} network)" if stage else "Training"}
        self.stop = (
            services.job_report(job_id=self.job_id, info=info, history_entry=entry) or self.stop
        )
        self.last_check = time.monotonic()

    def should_stop(self) -> bool:
        from backend.training.models import TrainingJob

        if not self.stop and time.monotonic() - self.last_check > 1.0:
            self.last_check = time.monotonic()
            row = (
                TrainingJob.objects.filter(pk=self.job_id)
                .values("cancel_requested", "status")
                .first()
            )
            self.stop = row is None or row["cancel_requested"] or row["status"] != "running"
        return self.stop


def snapshot_dataset(content: dict[str, Any]):
    """Rebuild a frozen snapshot as a PoseDataset, decoding each labeled frame once."""
    import numpy as np

    from backend.videos.models import Video
    from backend.videos.services import frame_rgb
    from ml_worker.dataset import PoseDataset, PoseSample

    k = len(content["nodes"])
    videos = {v.id: v for v in Video.objects.filter(pk__in={f["video"] for f in content["frames"]})}
    samples = []
    for frame in content["frames"]:
        video = videos.get(frame["video"])
        if video is None:
            continue  # the video was deleted after the snapshot; train on the rest
        instance = frame["instances"][0]  # single animal: the first instance
        keypoints = np.full((k, 2), np.nan, np.float32)
        visibility = np.zeros(k, np.int8)
        for i, point in enumerate(instance["points"]):
            if point is not None:
                keypoints[i] = point[:2]
                visibility[i] = point[2]
        image = frame_rgb(video=video, index=frame["frame_index"])
        samples.append(
            PoseSample(image, keypoints, visibility, f"video{video.id}/frame{frame['frame_index']}")
        )
    if len(samples) < 2:
        raise ValueError("fewer than 2 labeled frames could be read")
    return PoseDataset(
        samples,
        [n["name"] for n in content["nodes"]],
        symmetries=[tuple(s) for s in content["symmetries"]],
        edges=[tuple(e) for e in content["edges"]],
    )
