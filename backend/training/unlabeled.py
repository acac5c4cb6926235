"""The frames nobody labeled: encoder pretraining jobs, and what a training job takes from them.

Two options of a training config use a project's unlabeled video frames:

- ``use_pretrained_encoder: "auto"``: the job warm-starts its encoders from the
  project's latest succeeded :class:`PretrainJob` (``ml_worker.pretrain``), if
  there is one (the default: ``bench/unlabeled.py`` measured it helping). A
  pretraining job starts by itself once an uploaded video is ready
  (:func:`pretrain_after_upload`, setting ``PRETRAIN_ON_UPLOAD``), or from the
  training page (:func:`pretrain_job_start`), and serves every later training job;
- ``pseudo_labels``: confident predictions of the project's latest model
  version that has finished inference runs are added to the job's *training*
  frames (``ml_worker.pseudo_labels``); labeled frames, and frames near a
  validation or test frame, never are.

:func:`unlabeled_inputs` is what the training task calls between decoding the
snapshot and training; what it used is written to ``TrainingJob.unlabeled``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction

from backend.common import jobs, storage
from backend.common.exceptions import ApplicationError
from backend.projects.models import Project
from backend.training.models import PretrainJob, TrainingJob
from ml_worker.config import TrainConfig, preset

Status = PretrainJob.Status
DEFAULT_SECONDS = 180.0
DEFAULT_FRAMES = 200
SECONDS_RANGE = (5.0, 3600.0)
FRAMES_RANGE = (8, 1000)


def pretrain_job_start(
    *, project: Project, user: Any, max_seconds: float = DEFAULT_SECONDS,
    frames: int = DEFAULT_FRAMES, preset_name: str = "balanced", filters: int | None = None,
) -> PretrainJob:  # fmt: skip
    """Queue encoder pretraining on frames sampled from the project's videos.

    The encoder gets the widths of ``preset_name`` (``filters`` overrides its first
    width): only training jobs of the same widths can start from it.
    """
    from ml_worker.pretrain import PretrainConfig

    if not _ready_videos(project):
        raise ApplicationError("Upload a video first: pretraining learns from its frames.")
    base = preset(preset_name)
    config = PretrainConfig(max_seconds=max_seconds, filters=filters or base.filters,
                            filters_rate=base.filters_rate).to_dict()  # fmt: skip
    try:
        with transaction.atomic():
            job = PretrainJob.objects.create(
                project=project, created_by=user, config={**config, "frames": frames},
                message="Waiting for a worker",
            )  # fmt: skip
    except IntegrityError:
        raise ApplicationError(
            "This project's encoder is already being pretrained; wait for it or cancel it.",
            status_code=409,
        ) from None
    _enqueue_on_commit(job)
    return job


def pretrain_after_upload(*, video_id: int) -> PretrainJob | None:
    """Queue the default pretraining once a project's video is ready (``PRETRAIN_ON_UPLOAD``).

    Skipped when the video failed or a pretraining of the project is already queued or
    running: that one samples its frames when it starts, and a finished one is superseded
    by this job, which also learns from the new video.
    """
    from django.conf import settings

    from backend.videos.models import Video

    video = Video.objects.select_related("project").filter(pk=video_id).first()
    if not settings.PRETRAIN_ON_UPLOAD or video is None or video.status != Video.Status.READY:
        return None
    project = video.project
    if project.pretrain_jobs.filter(status__in=[Status.QUEUED, Status.RUNNING]).exists():
        return None
    try:
        return pretrain_job_start(project=project, user=None)
    except ApplicationError:
        return None  # raced another start (409): that job serves the project


def _enqueue_on_commit(job: PretrainJob) -> None:
    from backend.training.pretrain_tasks import pretrain_encoder

    job_id, attempt = job.id, job.attempt
    transaction.on_commit(lambda: pretrain_encoder.apply_async(args=[job_id, attempt], queue="gpu"))


def pretrain_job_cancel(*, job: PretrainJob) -> PretrainJob:
    return jobs.request_cancel(job)


def pretrain_latest(*, project: Project, cfg: TrainConfig | None = None) -> PretrainJob | None:
    """The project's latest succeeded pretraining (what "auto" uses); with ``cfg``, the
    latest whose encoder widths are that config's (another width would not load)."""
    done = project.pretrain_jobs.filter(status=Status.SUCCEEDED).exclude(weights="")
    if cfg is not None:
        done = done.filter(config__filters=cfg.filters, config__filters_rate=cfg.filters_rate)
    return done.order_by("-finished_at", "-id").first()


def pretrain_weights_key(job: PretrainJob) -> str:
    return f"models/project-{job.project_id}/pretrain-{job.id}/encoder.pt"


def _ready_videos(project: Project) -> list[Any]:
    from backend.videos.models import Video

    # a video still "processing" (thumbnail, frame index) already has its file and frame count
    return list(project.videos.exclude(status=Video.Status.FAILED).order_by("id"))


def pretrain_frame_plan(*, project: Project, count: int) -> list[tuple[Any, list[int]]]:
    """Which frames to decode: ``count`` spread over the videos by their length."""
    videos = [v for v in _ready_videos(project) if v.frame_count > 0]
    total = sum(v.frame_count for v in videos)
    plan = []
    for video in videos:
        n = max(1, round(count * video.frame_count / total))
        indices = np.linspace(0, video.frame_count - 1, min(n, video.frame_count))
        plan.append((video, sorted(set(indices.round().astype(int).tolist()))))
    return plan


# --- what a training job takes from the unlabeled frames ---------------------------


def unlabeled_inputs(
    *, job: TrainingJob, cfg: TrainConfig, dataset: Any, split: dict[str, list[str]],
) -> tuple[TrainConfig, Any, dict[str, list[str]]]:  # fmt: skip
    """The config, dataset and split a job trains on once its unlabeled options are applied.

    Records what was used on ``job.unlabeled`` (empty when both options are off).
    """
    record: dict[str, Any] = {}
    if cfg.use_pretrained_encoder == "auto":
        cfg, record["pretrained_encoder"] = _encoder(job.project, cfg)
    if cfg.pseudo_labels:
        dataset, split, record["pseudo_labels"] = _pseudo(job.project, cfg, dataset, split)
    TrainingJob.objects.filter(pk=job.pk).update(unlabeled=record)
    return cfg, dataset, split


def _encoder(project: Project, cfg: TrainConfig) -> tuple[TrainConfig, dict[str, Any]]:
    if cfg.model_kind != "top_down":
        return cfg, {"job": None, "note": "only top-down U-Nets start from a pretrained encoder"}
    latest = pretrain_latest(project=project, cfg=cfg)
    if latest is None:
        return cfg, {"job": None, "note": "no finished pretraining with this job's filters "
                                          f"({cfg.filters}, rate {cfg.filters_rate:g})"}
    path = storage.local_path(latest.weights)
    return replace(cfg, pretrained_encoder=str(path)), {
        "job": latest.id, "steps": latest.result.get("steps"),
        "frames": latest.result.get("frames"),
    }  # fmt: skip


def _latest_runs(project: Project) -> list[Any]:
    """Succeeded runs of the latest model version that has any (one per video, newest)."""
    from backend.inference.models import InferenceRun

    runs = InferenceRun.objects.filter(project=project, status=InferenceRun.Status.SUCCEEDED)
    runs = runs.exclude(predictions_file="").select_related("model_version", "video")
    newest = runs.order_by("-model_version__number", "-id").first()
    if newest is None:
        return []
    latest: dict[int, Any] = {}
    for run in runs.filter(model_version=newest.model_version).order_by("-id"):
        latest.setdefault(run.video_id, run)
    return list(latest.values())


def _pseudo(project: Project, cfg: TrainConfig, dataset: Any,
            split: dict[str, list[str]]) -> tuple[Any, dict[str, list[str]], dict[str, Any]]:  # fmt: skip
    from ml_worker.pseudo_labels import MAX_RATIO, add_pseudo_labels, select_pseudo_labels

    runs = _latest_runs(project)
    if not runs:
        return dataset, split, {"run": None, "note": "no finished inference run in this project"}
    cap = int(MAX_RATIO * len(split["train"]))
    chosen = []
    for run in runs:
        arrays = _run_arrays(run, list(dataset.node_names))
        chosen += select_pseudo_labels(
            arrays, video=run.video_id, threshold=cfg.pseudo_label_threshold,
            exclude=_labeled_indices(run.video), held_out=_held_out(split, run.video_id),
            max_frames=cap,
        )  # fmt: skip
    chosen = sorted(chosen, key=lambda p: -p.score)[:cap]
    samples = _decode(chosen, {run.video_id: run.video for run in runs})
    dataset, new_split = add_pseudo_labels(dataset, split, samples)
    added = new_split["train"][len(split["train"]):]
    return dataset, new_split, {
        "runs": [run.id for run in runs], "model_version": runs[0].model_version.number,
        "threshold": cfg.pseudo_label_threshold, "frames": len(added), "keys": added,
    }  # fmt: skip


def _run_arrays(run: Any, node_names: list[str]) -> dict[str, Any]:
    """A run's predictions with their node axis in the snapshot's node order (by name)."""
    from ml_worker.inference_run import read_prediction_arrays

    arrays = read_prediction_arrays(storage.local_path(run.predictions_file))
    model_nodes = list(run.model_version.config.get("node_names", []))
    f, i = arrays["points"].shape[:2]
    points = np.full((f, i, len(node_names), 2), np.nan, np.float32)
    scores = np.zeros((f, i, len(node_names)), np.float32)
    for k, name in enumerate(node_names):
        if name in model_nodes:
            points[:, :, k] = arrays["points"][:, :, model_nodes.index(name)]
            scores[:, :, k] = arrays["scores"][:, :, model_nodes.index(name)]
    return {**arrays, "points": points, "scores": scores}


def _labeled_indices(video: Any) -> list[int]:
    """Every frame of the video a person touched, whatever its review status."""
    return list(video.labeled_frames.values_list("frame_index", flat=True))


def _held_out(split: dict[str, list[str]], video_id: int) -> list[int]:
    prefix = f"video{video_id}/frame"
    keys = [*split.get("val", []), *split.get("test", [])]
    return [int(k.removeprefix(prefix)) for k in keys if k.startswith(prefix)]


def _decode(chosen: list[Any], videos: dict[int, Any]) -> list[Any]:
    from backend.videos import media
    from backend.videos.services import video_local_path
    from ml_worker.pseudo_labels import pseudo_samples

    frames: dict[tuple[int, int], np.ndarray] = {}
    for video_id, video in videos.items():
        wanted = sorted({p.frame_index for p in chosen if p.video == video_id})
        if wanted:
            images = media.read_frames(video_local_path(video), wanted)
            frames.update({(video_id, i): im for i, im in zip(wanted, images, strict=True)})
    return pseudo_samples(chosen, lambda v, i: frames.get((v, i)))
