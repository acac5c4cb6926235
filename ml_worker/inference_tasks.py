"""Celery doors for video inference, and the one adapter onto the pure inference code.

``run_inference(run_id, attempt)`` (queue ``gpu``, via the ``ml_worker.tasks.*``
route) follows ``train_model``:

1. claim the run with a conditional UPDATE (a redelivered message never runs twice);
2. predict every frame with :func:`ml_worker.infer.predict_video`, reporting
   progress and polling for cancellation through callbacks, while a thread
   keeps ``heartbeat_at`` fresh; past ``TRAINING_MAX_MEMORY_MB`` the same poll
   stops it and the run fails with a message (:class:`ml_worker.guard.MemoryWatch`);
3. write the raw predictions ``.npz`` and, when asked, a smoothed copy beside it;
4. rank frames for labeling (:mod:`ml_worker.active_learning`) and render the
   labeled video (:mod:`ml_worker.video_render`);
5. publish: succeed the run and store its suggestions in one transaction,
   unless it was cancelled meanwhile.

Every call into ``ml_worker.infer``, ``smoothing``, ``active_learning`` and
``video_render`` is in this module, each imported inside a function body: the
web process imports this module (for ``.apply_async`` and the npz reader)
without torch.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np
from celery import shared_task
from django.db import connection

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0
SMOOTHING_METHODS = ("median", "savgol")
# Test-time augmentation runs on this many frames, not on the whole video.
TTA_SHORTLIST_MIN = 100
TTA_SHORTLIST_PER_SUGGESTION = 5


@shared_task(name="ml_worker.tasks.run_inference", acks_late=True, reject_on_worker_lost=True)
def run_inference(run_id: int, attempt: int = 1) -> None:
    from backend.inference import services

    worker = f"{run_inference.request.hostname or socket.gethostname()}"
    if not services.run_claim(run_id=run_id, attempt=attempt, worker=worker):
        log.info(
            "inference run %s attempt %s: claimed, cancelled or finished; skip", run_id, attempt
        )
        return
    with _Heartbeat(run_id):
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

    from backend.inference import services, suggestions
    from backend.inference.models import InferenceRun
    from ml_worker.artifacts import ModelArtifact
    from ml_worker.guard import MemoryWatch
    from ml_worker.infer import Cancelled

    run = InferenceRun.objects.select_related("model_version", "video").get(pk=run_id)
    root = Path(settings.MEDIA_ROOT)
    artifact = ModelArtifact.from_dir(root / run.model_version.artifact_dir)
    progress = _ProgressReporter(run_id)
    started = time.monotonic()
    # Predicting runs in this process: past the memory limit it stops at the next batch
    # and the run fails with a message, before the system kills the worker.
    with MemoryWatch(settings.TRAINING_MAX_MEMORY_MB) as watch:
        try:
            preds = predict(artifact, Path(run.video.file.path), progress,
                            lambda: watch.exceeded or progress.should_stop())  # fmt: skip
        except Cancelled:
            if watch.exceeded:
                services.run_fail(run_id=run_id, error=watch.message())
            else:
                services.run_mark_cancelled(run_id=run_id)
            return
    seconds = time.monotonic() - started
    out_dir = services.run_dir(run)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"predictions_file": preds.save_npz(out_dir / "predictions.npz")}
    shown = preds
    if run.smoothing:
        shown = smooth(preds, **run.smoothing)
        files["smoothed_file"] = shown.save_npz(out_dir / "smoothed.npz")
    services.run_report(run_id=run_id, fraction=0.95, frames_done=len(preds), message="Ranking")
    ranked = suggestions.suggestions_rank(run=run, predictions=preds, artifact=artifact)
    summary = summarize(preds, seconds)
    if run.render_video:
        services.run_report(
            run_id=run_id, fraction=0.97, frames_done=len(preds), message="Rendering video"
        )
        try:
            files["video_file"] = render(run, shown, out_dir / "labeled.mp4")
        except Exception as exc:  # noqa: BLE001 - the predictions stand without the video
            log.exception("inference run %s: rendering the labeled video failed", run_id)
            summary["video_error"] = f"{type(exc).__name__}: {exc}"
    services.run_publish(
        run_id=run_id,
        files={k: str(Path(v).relative_to(root)) for k, v in files.items()},
        summary=summary,
        ranked=ranked,
    )


class _Heartbeat:
    """Keeps ``heartbeat_at`` fresh while the task is alive, even between progress reports."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        from django.utils import timezone

        from backend.inference.models import InferenceRun

        try:
            while not self.stop.wait(HEARTBEAT_SECONDS):
                InferenceRun.objects.filter(pk=self.run_id, status="running").update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connection.close()

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=HEARTBEAT_SECONDS * 2)


class _ProgressReporter:
    """``on_progress(fraction, frames_done)`` / ``should_stop()`` for ``predict_video``."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.stop = False
        self.started = time.monotonic()
        self.last_check = 0.0

    def __call__(self, fraction: float, frames_done: int) -> None:
        from backend.inference import services

        elapsed = time.monotonic() - self.started
        eta = elapsed / fraction * (1 - fraction) if fraction > 0 else None
        self.stop = (
            services.run_report(
                run_id=self.run_id,
                fraction=0.95 * fraction,
                frames_done=frames_done,
                eta_seconds=eta,
                message="Predicting",
            )
            or self.stop
        )
        self.last_check = time.monotonic()

    def should_stop(self) -> bool:
        from backend.inference.models import InferenceRun

        if not self.stop and time.monotonic() - self.last_check > 1.0:
            self.last_check = time.monotonic()
            row = (
                InferenceRun.objects.filter(pk=self.run_id)
                .values("cancel_requested", "status")
                .first()
            )
            self.stop = row is None or row["cancel_requested"] or row["status"] != "running"
        return self.stop


# --- the adapter: every call into the pure inference modules ---------------------


def predict(artifact: Any, video_path: Path, on_progress: Any, should_stop: Any) -> Any:
    """All frames of one video -> ``ml_worker.infer.VideoPredictions`` (with features)."""
    import tempfile

    import torch

    from ml_worker.infer import onnx_session, predict_video, video_info

    g = artifact.geometry
    info = video_info(video_path)
    with tempfile.TemporaryDirectory(prefix="poseforge-onnx-") as tmp:
        model = artifact
        # On CPU, ONNX Runtime runs this graph ~1.7x faster than torch; its graph is traced
        # for the training frame size, so other sizes keep the torch module.
        if not torch.cuda.is_available() and (info.height, info.width) == (g.frame_height, g.frame_width):
            model = onnx_session(artifact, Path(tmp) / "model.onnx")
        preds = predict_video(
            model,
            video_path,
            on_progress=on_progress,
            should_stop=should_stop,
            with_features=True,
        )
    # An ONNX session does not know the node names; the artifact does.
    return dataclasses.replace(preds, node_names=list(artifact.node_names))


def load_predictions(path: Path) -> Any:
    """The ``VideoPredictions`` saved at ``path`` (imports torch: worker side only)."""
    from ml_worker.infer import VideoPredictions

    return VideoPredictions.load_npz(path)


def smooth(preds: Any, *, method: str, window: int) -> Any:
    """A copy of ``preds`` with temporally smoothed points (the raw arrays are untouched)."""
    from ml_worker import smoothing

    functions = {"median": smoothing.median_smooth, "savgol": smoothing.savgol_smooth}
    points = functions[method](preds.points, preds.scores, window=window)
    return dataclasses.replace(preds, points=points)


def rank(
    preds: Any,
    *,
    n: int,
    weights: dict[str, float],
    exclude: set[int],
    min_gap: int,
    artifact: Any = None,
    video_path: Path | None = None,
) -> list[dict[str, Any]]:
    """Top ``n`` frames to label as ``{frame_index, score, subscores, reasons}`` dicts.

    With the model at hand (on the worker) and a positive ``disagreement``
    weight, test-time augmentation runs on a shortlist of frames (see
    :func:`_shortlist`) and the ranking is made among those. When ``min_gap``
    leaves fewer than ``n`` picks in the shortlist, the rest come from all frames
    (without the disagreement term), still ``min_gap`` apart from every pick.
    """
    from ml_worker.active_learning import rank_frames

    extra: dict[str, Any] = {}
    if artifact is not None and video_path is not None and weights.get("disagreement", 0) > 0:
        extra = _disagreement(preds, artifact, video_path, exclude, n)
    picked = rank_frames(preds, n=n, weights=weights, exclude=exclude, min_gap=min_gap, **extra)
    if extra and len(picked) < n:
        gap = max(min_gap, 1)
        near = {s.frame_index + d for s in picked for d in range(1 - gap, gap)}
        rest = {k: v for k, v in weights.items() if k != "disagreement"}
        if any(v > 0 for v in rest.values()):
            picked += rank_frames(preds, n=n - len(picked), weights=rest,
                                  exclude=set(exclude) | near, min_gap=min_gap)  # fmt: skip
    return [
        {
            "frame_index": int(s.frame_index),
            "score": float(s.score),
            "subscores": {k: float(v) for k, v in s.subscores.items()},
            "reasons": [str(r) for r in s.reasons],
        }
        for s in picked
    ]


def _shortlist(preds: Any, exclude: set[int], n: int) -> np.ndarray:
    """Rows worth a closer look: the most uncertain/jumpy ones plus evenly spaced ones."""
    from ml_worker.active_learning import rank_normalise, score_frames

    size = max(TTA_SHORTLIST_MIN, TTA_SHORTLIST_PER_SUGGESTION * n)
    open_rows = np.flatnonzero(~np.isin(preds.frame_indices, list(exclude)))
    raw = score_frames(preds)
    static = sum(rank_normalise(v[open_rows]) for v in raw.values())
    best = open_rows[np.argsort(-static)[: size // 2]]
    spread = open_rows[np.linspace(0, len(open_rows) - 1, size // 2).astype(int)]
    return np.unique(np.concatenate([best, spread])) if len(open_rows) else open_rows


def _disagreement(
    preds: Any, artifact: Any, video_path: Path, exclude: set[int], n: int
) -> dict[str, Any]:
    """``rank_frames`` keyword arguments: TTA spread on a shortlist, ranked among it."""
    from backend.videos.media import read_frames
    from ml_worker.active_learning import tta_predictions

    rows = _shortlist(preds, exclude, n)
    if len(rows) == 0:
        return {}
    # One forward pass through the video, frame-exact (backend.videos.media.FrameReader).
    frames = np.stack(read_frames(video_path, [int(preds.frame_indices[r]) for r in rows]))
    spread = np.zeros(len(preds))
    spread[rows] = tta_predictions(artifact, frames).spread
    return {"disagreement": spread, "candidates": preds.frame_indices[rows].tolist()}


def render(run: Any, preds: Any, out: Path) -> Path:
    """The run's video with the skeleton drawn on (H.264 mp4); returns the path."""
    from ml_worker.video_render import render_video

    edges = [(a, b) for a, b in run.model_version.config.get("edges", [])]
    return render_video(Path(run.video.file.path), preds, out, edges=edges)


def summarize(preds: Any, seconds: float) -> dict[str, Any]:
    """Mean score overall and per node, frame count and speed, for the run row."""
    scores = np.asarray(preds.scores, np.float64)
    names = list(preds.node_names) or [str(k) for k in range(scores.shape[1])]
    per_node = np.nanmean(scores, axis=0) if len(scores) else np.full(len(names), np.nan)
    return {
        "frames": len(scores),
        "mean_score": _finite(np.nanmean(scores)) if scores.size else None,
        "per_node_mean_score": {n: _finite(v) for n, v in zip(names, per_node, strict=True)},
        "seconds": round(seconds, 2),
        "frames_per_second": round(len(scores) / seconds, 1) if seconds > 0 else None,
    }


def _finite(value: float) -> float | None:
    return round(float(value), 4) if np.isfinite(value) else None


def read_prediction_arrays(path: Path) -> dict[str, Any]:
    """``points (F, K, 2)``, ``scores (F, K)``, ``frame_indices (F,)`` and ``meta`` of an npz.

    Mirrors ``VideoPredictions.save_npz`` with numpy alone, so the web process
    reads predictions without torch.
    """
    with np.load(path, allow_pickle=False) as data:
        return {
            "points": data["points"],
            "scores": data["scores"],
            "frame_indices": data["frame_indices"],
            "meta": json.loads(str(data["meta"])),
        }
