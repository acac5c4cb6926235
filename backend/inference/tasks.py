"""Celery door for video inference: the database side of a run, around pure ``ml_worker`` code.

``run_inference(run_id, attempt)`` (queue ``gpu``, via the ``ml_worker.tasks.*``
route: the task keeps the name it had when it lived in ``ml_worker``, so messages
queued before an upgrade still run) follows ``train_model``:

1. claim the run with a conditional UPDATE (a redelivered message never runs twice);
2. predict every frame with :func:`ml_worker.infer.predict_video`, reporting
   progress and polling for cancellation through callbacks, while a thread
   keeps ``heartbeat_at`` fresh; past ``TRAINING_MAX_MEMORY_MB`` the same poll
   stops it and the run fails with a message (:class:`ml_worker.guard.MemoryWatch`);
3. when the run tracks, give the animals identities (:mod:`ml_worker.tracking`,
   timed apart from predicting: the summary's ``tracking.frames_per_second``);
   write the raw predictions ``.npz`` and, when asked, a smoothed copy beside it;
4. rank frames for labeling (:mod:`ml_worker.active_learning`) and render the
   labeled video (:mod:`ml_worker.video_render`);
5. publish: succeed the run and store its suggestions in one transaction,
   unless it was cancelled meanwhile.

``run_retrack(job_id, attempt)`` re-tracks a finished run without re-inferring
(:mod:`backend.inference.retrack` has its flow).

The numeric steps are pure functions of :mod:`ml_worker.inference_run` (paths,
arrays and callables in, results out), imported inside function bodies: the web
process imports this module for ``.apply_async`` without torch.
"""

from __future__ import annotations

import logging
import socket
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from celery import shared_task

from backend.common import jobs, storage

log = logging.getLogger(__name__)


@shared_task(name="ml_worker.tasks.run_inference", acks_late=True, reject_on_worker_lost=True)
def run_inference(run_id: int, attempt: int = 1) -> None:
    from backend.inference import services
    from backend.inference.models import InferenceRun

    worker = f"{run_inference.request.hostname or socket.gethostname()}"
    if not services.run_claim(run_id=run_id, attempt=attempt, worker=worker):
        log.info(
            "inference run %s attempt %s: claimed, cancelled or finished; skip", run_id, attempt
        )
        return
    with jobs.Heartbeat(InferenceRun, run_id, enabled=not run_inference.request.is_eager):
        try:
            _run(run_id)
        except Exception as exc:  # noqa: BLE001 - any failure ends the run with its message
            log.exception("inference run %s failed", run_id)
            services.run_fail(
                run_id=run_id,
                error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()[-3000:]}",
            )


def _run(run_id: int) -> None:
    from django.conf import settings

    from backend.inference import services
    from backend.inference.models import InferenceRun
    from ml_worker.artifacts import ModelArtifact
    from ml_worker.guard import MemoryWatch
    from ml_worker.infer import Cancelled
    from ml_worker.inference_run import predict

    run = InferenceRun.objects.select_related("model_version", "video").get(pk=run_id)
    artifact = ModelArtifact.from_dir(storage.local_dir(run.model_version.artifact_dir))
    progress = _ProgressReporter(run_id)
    started = time.monotonic()
    # Predicting runs in this process: past the memory limit it stops at the next batch
    # and the run fails with a message, before the system kills the worker.
    with MemoryWatch(settings.TRAINING_MAX_MEMORY_MB) as watch:
        try:
            preds = predict(artifact, storage.local_path(run.video.file.name), progress,
                            lambda: watch.exceeded or progress.should_stop())  # fmt: skip
        except Cancelled:
            if watch.exceeded:
                services.run_fail(run_id=run_id, error=watch.message())
            else:
                services.run_mark_cancelled(run_id=run_id)
            return
    seconds = time.monotonic() - started
    with tempfile.TemporaryDirectory(prefix="poseforge-run-") as tmp:
        _finish(run, preds, artifact, seconds, Path(tmp))


def _finish(run: Any, preds: Any, artifact: Any, seconds: float, out_dir: Path) -> None:
    """Write, rank and render into ``out_dir``, store the files, then publish the run."""
    from backend.inference import services, suggestions
    from ml_worker.inference_run import smooth, summarize, track

    run_id = run.id
    tracking = None
    if run.tracking:
        services.run_report(run_id=run_id, fraction=0.95, frames_done=len(preds), message="Tracking")
        preds, tracking = track(preds, run.tracking)
    files = {"predictions_file": preds.save_npz(out_dir / "predictions.npz")}
    shown = preds
    if run.smoothing:
        shown = smooth(preds, **run.smoothing)
        files["smoothed_file"] = shown.save_npz(out_dir / "smoothed.npz")
    services.run_report(run_id=run_id, fraction=0.95, frames_done=len(preds), message="Ranking")
    ranked = suggestions.suggestions_rank(run=run, predictions=preds, artifact=artifact)
    summary = summarize(preds, seconds)
    if tracking is not None:
        summary["tracking"] = tracking
    if run.render_video:
        services.run_report(
            run_id=run_id, fraction=0.97, frames_done=len(preds), message="Rendering video"
        )
        try:
            files["video_file"] = _render(run, shown, out_dir / "labeled.mp4")
        except Exception as exc:  # noqa: BLE001 - the predictions stand without the video
            log.exception("inference run %s: rendering the labeled video failed", run_id)
            summary["video_error"] = f"{type(exc).__name__}: {exc}"
    prefix = services.run_prefix(run)
    stored = {k: storage.save_file(f"{prefix}/{Path(v).name}", Path(v)) for k, v in files.items()}
    services.run_publish(
        run_id=run_id,
        files=stored,
        summary=summary,
        ranked=ranked,
    )


class _ProgressReporter(jobs.Progress):
    """``on_progress(fraction, frames_done)`` / ``should_stop()`` for ``predict_video``.

    Predicting is the first 95 % of a run (ranking and rendering follow); the ETA
    is for predicting.
    """

    def __init__(self, run_id: int) -> None:
        from backend.inference.models import InferenceRun

        super().__init__(InferenceRun, run_id)

    def __call__(self, fraction: float, frames_done: int) -> bool:  # type: ignore[override]
        return super().__call__(0.95 * fraction, "Predicting", frames_done=frames_done,
                                eta_seconds=self.eta(fraction))  # fmt: skip


def _render(run: Any, preds: Any, out: Path) -> Path:
    from ml_worker.inference_run import render

    edges = run.model_version.config.get("edges", [])
    return render(storage.local_path(run.video.file.name), preds, out, edges)


@shared_task(name="inference.retrack", acks_late=True, reject_on_worker_lost=True)
def run_retrack(job_id: int, attempt: int = 1) -> None:
    from backend.inference import retrack
    from backend.inference.models import RetrackJob

    worker = f"{run_retrack.request.hostname or socket.gethostname()}"
    if not retrack.retrack_claim(job_id=job_id, attempt=attempt, worker=worker):
        log.info("re-tracking job %s attempt %s: claimed, cancelled or finished; skip",
                 job_id, attempt)  # fmt: skip
        return
    with jobs.Heartbeat(RetrackJob, job_id, enabled=not run_retrack.request.is_eager):
        try:
            _retrack(job_id)
        except Exception as exc:  # noqa: BLE001 - any failure ends the job with its message
            log.exception("re-tracking job %s failed", job_id)
            jobs.fail(RetrackJob, job_id,
                      error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()[-3000:]}")  # fmt: skip


def _retrack(job_id: int) -> None:
    from backend.inference import retrack
    from backend.inference.models import RetrackJob
    from ml_worker.inference_run import load_predictions

    job = RetrackJob.objects.select_related("run").get(pk=job_id)
    read = {k: getattr(job.run, k) for k in ("predictions_file", "smoothed_file") if getattr(job.run, k)}
    jobs.report(RetrackJob, job_id, fraction=0.1, message="Re-tracking")
    with tempfile.TemporaryDirectory(prefix="poseforge-retrack-") as tmp:
        out = {k: Path(tmp) / f"{k}.npz" for k in read}
        tracking = _retrack_files(job.tracking, read, out)
        # Read back before the swap: a file suggestions cannot rank must not replace the run's.
        predictions = load_predictions(out["predictions_file"])
        keys = retrack.retrack_keys(job)
        written = {k: storage.save_file(keys[k], path) for k, path in out.items()}
    if not retrack.retrack_publish(job_id=job_id, read=read, written=written, tracking=tracking):
        _not_published(job_id)
        return
    jobs.report(RetrackJob, job_id, fraction=0.6, message="Ranking suggestions")
    retrack.retrack_finish(job_id=job_id, predictions=predictions)


def _retrack_files(settings: dict[str, Any], read: dict[str, str], out: dict[str, Path]) -> dict[str, Any]:
    """Re-track local copies of the stored files ``read`` into the paths ``out``."""
    from ml_worker.inference_run import retrack_files

    smoothed = read.get("smoothed_file")
    with storage.local_copy(read["predictions_file"]) as source:
        return retrack_files(
            source, out["predictions_file"], settings,
            smoothed=storage.local_path(smoothed) if smoothed else None,
            smoothed_out=out.get("smoothed_file"),
        )  # fmt: skip


def _not_published(job_id: int) -> None:
    from backend.inference.models import RetrackJob

    if jobs.should_stop(RetrackJob, job_id):
        jobs.mark_cancelled(RetrackJob, job_id)
    else:
        jobs.fail(RetrackJob, job_id,
                  error="The run's predictions changed while re-tracking; start it again.")  # fmt: skip
