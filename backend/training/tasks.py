"""Celery door for training: the database side of a job, around pure ``ml_worker`` code.

The task keeps the name it had when it lived in ``ml_worker`` (``ml_worker.tasks.train_model``,
routed to the ``gpu`` queue), so messages queued before an upgrade still run.

``train_model(job_id, attempt)``: claim the job (a conditional UPDATE, so a
redelivered message never trains twice), rebuild the frozen snapshot as a
``PoseDataset`` (polling cancel before every frame), then train and export in
a child process under :mod:`ml_worker.guard`: over ``TRAINING_MAX_MEMORY_MB``
or past its time budget the child is killed and the job fails with a message,
while this worker lives on. Progress, heartbeat (with the memory seen) and
cancel pass through callbacks; the result is published as a ModelVersion.
This process never imports torch for training, so it stays small.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery import shared_task

from backend.common import jobs, storage
from backend.training.pretrain_tasks import pretrain_encoder  # noqa: F401 - registers the task

log = logging.getLogger(__name__)


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
    with _Heartbeat(job_id, enabled=not train_model.request.is_eager) as heartbeat:
        try:
            _run(job_id, heartbeat)
        except Exception as exc:  # noqa: BLE001 - any failure ends the job with its message
            log.exception("training job %s failed", job_id)
            services.job_fail(
                job_id=job_id,
                error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()[-3000:]}",
            )


class _Heartbeat(jobs.Heartbeat):
    """Keeps ``heartbeat_at`` fresh while the task is alive, with the memory the job uses."""

    def __init__(self, job_id: int, *, enabled: bool = True) -> None:
        from backend.training.models import TrainingJob

        super().__init__(TrainingJob, job_id, enabled=enabled, beat=self._beat)
        # The memory the job uses now (MB), recorded with each beat: the reaper reads it.
        self.memory: Callable[[], float | None] = lambda: None

    def _beat(self) -> None:
        from backend.training import services

        services.job_beat(job_id=self.job_id, memory_mb=self.memory())


def _run(job_id: int, heartbeat: _Heartbeat) -> None:
    from django.conf import settings

    from backend.training import services
    from backend.training.models import TrainingJob
    from backend.training.unlabeled import unlabeled_inputs
    from ml_worker.config import validate_job_config, wall_clock_limit
    from ml_worker.dataset import dataset_save
    from ml_worker.guard import Cancelled, ChildFailed, GuardedChild, LimitExceeded

    job = TrainingJob.objects.select_related("snapshot", "parent_version", "project").get(
        pk=job_id)
    cfg = validate_job_config(job.config)
    expected = getattr(job.project, "max_instances", None)  # animals per frame, if declared
    if cfg.max_instances is None and expected:
        cfg = dataclasses.replace(cfg, max_instances=int(expected))
    progress = _ProgressReporter(job_id)
    limit = settings.TRAINING_MAX_MEMORY_MB
    try:
        dataset = _decode(job.snapshot.content, progress, heartbeat, limit)
        split = services.training_split(
            content=job.snapshot.content, keys=dataset.keys, seed=cfg.seed
        )
        # pretrained encoder and pseudo-labels (training frames only), when the config asks
        cfg, dataset, split = unlabeled_inputs(job=job, cfg=cfg, dataset=dataset, split=split)
        services.job_set_split(job_id=job_id, split=split)
        init = None
        if job.parent_version is not None:
            init = storage.local_path(f"{job.parent_version.artifact_dir}/weights.pt")
        # The child writes into a local folder; what it made is then stored under the
        # job's prefix, so a web server on another machine can serve it.
        with tempfile.TemporaryDirectory(prefix="poseforge-train-") as tmp:
            out_dir = Path(tmp) / "out"
            payload = Path(tmp) / "job.json"
            dataset_save(dataset, Path(tmp) / "dataset.npz")
            payload.write_text(json.dumps({
                "config": cfg.to_dict(), "dataset": str(Path(tmp) / "dataset.npz"),
                "split": split, "out_dir": str(out_dir), "init_weights": init and str(init),
                "zip_path": str(out_dir / f"poseforge-model-job{job_id}.zip")}))  # fmt: skip
            del dataset  # the child holds the frames now
            child = GuardedChild("ml_worker.train:train_payload", payload,
                                 memory_limit_mb=limit, time_limit_s=wall_clock_limit(cfg))
            heartbeat.memory = lambda: child.peak_mb
            progress.memory = heartbeat.memory
            result = child.run(progress, progress.should_stop)
            storage.save_dir(services.model_prefix(job), out_dir)
    except Cancelled:
        services.job_mark_cancelled(job_id=job_id)
        return
    except (LimitExceeded, ChildFailed) as exc:  # the message says it all; no parent traceback
        services.job_fail(job_id=job_id, error=str(exc), memory_mb=heartbeat.memory())
        return
    metrics = {
        **result["metrics"],
        "steps": result["steps"],
        "train_seconds": round(result["seconds"], 1),
        "stop_reason": result["status"],
    }
    if "test" in metrics:
        seen = services.test_frames_seen_by_ancestors(job=job, test=split["test"])
        metrics["test"] = {**metrics["test"], "seen_by_parent_frames": seen}
    download = f"{services.model_prefix(job)}/{Path(result['zip_path']).name}"
    services.job_publish(job_id=job_id, metrics=metrics, config=result["config"], download=download)


def _decode(content: dict[str, Any], progress: _ProgressReporter, heartbeat: _Heartbeat,
            limit: float):  # fmt: skip
    """Decode the snapshot in this process, under the same memory limit as the child."""
    from ml_worker.guard import Cancelled, LimitExceeded, MemoryWatch

    with MemoryWatch(limit) as watch:
        heartbeat.memory = lambda: watch.peak_mb
        try:
            return snapshot_dataset(
                content, progress, lambda: watch.exceeded or progress.should_stop()
            )
        except Cancelled:
            if watch.exceeded:
                raise LimitExceeded(watch.message(), kind="memory") from None
            raise


class _ProgressReporter:
    """on_progress / should_stop callbacks for decoding and ``train``: throttled database writes."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.stop = False
        self.last_check = 0.0
        self.last_decoding_report = 0.0
        self.last_history: tuple[Any, ...] | None = None
        self.memory: Callable[[], float | None] = lambda: None

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
        message = info.get("message") or (f"Training ({stage} network)" if stage else "Training")
        info = {**info, "message": message, "memory_mb": self.memory()}
        self.stop = (
            services.job_report(job_id=self.job_id, info=info, history_entry=entry) or self.stop
        )
        self.last_check = time.monotonic()

    def decoding(self, done: int, total: int) -> None:
        """Report frame decoding about once a second (it reports no training fraction)."""
        if done < total and time.monotonic() - self.last_decoding_report < 1.0:
            return
        self.last_decoding_report = time.monotonic()
        self({"stage": "decoding", "fraction": 0.0,
              "message": f"Decoding labeled frames ({done} of {total})"})  # fmt: skip

    def should_stop(self) -> bool:
        from backend.training.models import TrainingJob

        if not self.stop and time.monotonic() - self.last_check > 1.0:
            self.last_check = time.monotonic()
            self.stop = jobs.should_stop(TrainingJob, self.job_id)
        return self.stop


def snapshot_dataset(content: dict[str, Any], progress: _ProgressReporter | None = None,
                     should_stop: Callable[[], bool] | None = None):  # fmt: skip
    """Rebuild a frozen snapshot as a PoseDataset, decoding each labeled frame once.

    ``should_stop`` is polled before every frame, so a cancel acts during decoding.
    """
    from backend.videos import services as video_services
    from backend.videos.models import Video
    from ml_worker.dataset import dataset_from_snapshot

    videos = {v.id: v for v in Video.objects.filter(pk__in={f["video"] for f in content["frames"]})}

    def read_frame(video_id: int, index: int):
        video = videos.get(video_id)  # None: deleted after the snapshot; train on the rest
        return None if video is None else video_services.frame_rgb(video=video, index=index)

    def decoded(done: int, total: int) -> None:
        if progress is not None:
            progress.decoding(done, total)

    return dataset_from_snapshot(content, read_frame, should_stop=should_stop, on_progress=decoded)
