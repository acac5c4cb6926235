"""The steps of one inference run over a video, as pure functions (no Django, no Celery).

``backend.inference.tasks.run_inference`` drives a run: it calls :func:`predict`,
:func:`smooth`, :func:`rank`, :func:`render` and :func:`summarize` here with
paths, arrays and callables (progress, cancel, ``read_frames``) and stores what
they return. Every call into ``ml_worker.infer``, ``smoothing``,
``active_learning`` and ``video_render`` is made inside a function body, so the
web process can import this module (for :func:`read_prediction_arrays`,
:data:`SMOOTHING_METHODS`) without torch.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

SMOOTHING_METHODS = ("median", "savgol")
# Test-time augmentation and the committee run on this many frames, not on the whole video.
TTA_SHORTLIST_MIN = 100
TTA_SHORTLIST_PER_SUGGESTION = 5
# MC dropout passes of the committee (ensemble_disagreement): cost ~ passes x shortlist.
ENSEMBLE_PASSES = 4
# How a batch of suggestions is spread (rank_frames' selection). bench-al, 3 seeds: covering
# the unlabeled clusters first beat random picking at every round on both video pools, where
# the greedy mix fell behind random on the centered pair.
DEFAULT_SELECTION = "clusters"
# Sub-scores measured on the shortlist only.
SHORTLIST_SUBSCORES = ("disagreement", "ensemble_disagreement")
# ``read_frames(video_path, indices)`` -> the RGB frames, in that order (frame-exact).
ReadFrames = Callable[[Path, Sequence[int]], Sequence[np.ndarray]]


def predict(artifact: Any, video_path: Path, on_progress: Any, should_stop: Any) -> Any:
    """All frames of one video -> ``ml_worker.infer.VideoPredictions`` (with features)."""
    import tempfile

    import torch

    from ml_worker.infer import onnx_session, predict_video, video_info

    g = artifact.geometry
    top_down = g is not None
    info = video_info(video_path)
    with tempfile.TemporaryDirectory(prefix="poseforge-onnx-") as tmp:
        model = artifact
        # On CPU, ONNX Runtime runs this graph ~1.7x faster than torch; its graph is traced
        # for the training frame size, so other sizes keep the torch module.
        same_size = top_down and (info.height, info.width) == (g.frame_height, g.frame_width)
        if not torch.cuda.is_available() and same_size:
            model = onnx_session(artifact, Path(tmp) / "model.onnx")
        preds = predict_video(
            model,
            video_path,
            on_progress=on_progress,
            should_stop=should_stop,
            with_features=top_down,  # bottom-up models have no per-animal crop features
        )
    # An ONNX session does not know the node or identity names; the artifact does.
    identity = list(artifact.identity_names) if preds.identity_scores is not None else []
    return dataclasses.replace(preds, node_names=list(artifact.node_names),
                               identity_names=identity)


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


def track(preds: Any, settings: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """``preds`` with identities from :mod:`ml_worker.tracking`, and the summary's
    ``tracking`` entry (:func:`tracking_summary`). Runs on the raw points, so a
    smoothed copy made afterwards keeps the same identities. A model with identities
    names the tracks (``identity_scores``, see :mod:`ml_worker.tracking.identity`)."""
    from ml_worker.tracking import TrackerConfig, retrack

    config = TrackerConfig.from_dict(settings)
    arrays = {"points": preds.points, "scores": preds.scores,
              "instance_scores": preds.instance_scores, "frame_indices": preds.frame_indices}  # fmt: skip
    if getattr(preds, "identity_scores", None) is not None:
        arrays["identity_scores"] = preds.identity_scores
        arrays["identity_names"] = np.array(preds.identity_names, dtype=str)
    result = retrack(arrays, config)
    tracked = dataclasses.replace(preds, track_ids=result.track_ids, track_names=result.track_names)
    return tracked, tracking_summary(result, config)


def retrack_files(
    predictions: Path,
    out: Path,
    settings: dict[str, Any],
    *,
    smoothed: Path | None = None,
    smoothed_out: Path | None = None,
) -> dict[str, Any]:
    """Re-track the predictions file ``predictions`` into ``out`` without re-inferring.

    With ``smoothed`` (the run's smoothed copy, same frames and slots), its
    identities are replaced by the new ones into ``smoothed_out``. Pure numpy:
    the inputs are never modified. Returns :func:`tracking_summary`.
    """
    from ml_worker.tracking import TrackerConfig, retrack_file

    config = TrackerConfig.from_dict(settings)
    result = retrack_file(predictions, config, out=out)
    if smoothed is not None and smoothed_out is not None:
        _copy_identities(out, smoothed, smoothed_out)
    return tracking_summary(result, config)


def tracking_summary(result: Any, config: Any) -> dict[str, Any]:
    """``{frames_per_second, seconds, tracks, settings}``: tracking's own speed (apart
    from inference), how many identities it found, and the settings it ran with."""
    return {
        "frames_per_second": round(result.frames_per_second, 1),
        "seconds": round(result.seconds, 3),
        "tracks": len(result.track_names),
        "settings": config.to_dict(),
    }


def _copy_identities(tracked: Path, target: Path, out: Path) -> None:
    """Write ``target`` to ``out`` with the ``track_ids`` and track names of ``tracked``."""
    with np.load(tracked, allow_pickle=False) as data:
        ids, meta = data["track_ids"], json.loads(str(data["meta"]))
    with np.load(target, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    target_meta = json.loads(str(arrays["meta"]))
    target_meta.update(track_names=meta["track_names"], tracking=meta.get("tracking"))
    arrays["track_ids"], arrays["meta"] = ids, np.array(json.dumps(target_meta))
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "wb") as fh:  # a file object: np.savez would append ".npz" to a name
        np.savez(fh, **arrays)
    tmp.replace(out)


def rank(
    preds: Any,
    *,
    n: int,
    weights: dict[str, float],
    exclude: set[int],
    min_gap: int,
    artifact: Any = None,
    video_path: Path | None = None,
    read_frames: ReadFrames | None = None,
    expected_instances: int | None = None,
    labeled_poses: np.ndarray | None = None,
    selection: str = DEFAULT_SELECTION,
) -> list[dict[str, Any]]:
    """Top ``n`` frames to label as ``{frame_index, score, subscores, reasons}`` dicts.

    With the model at hand (on the worker), a way to read frames and a positive
    ``disagreement`` or ``ensemble_disagreement`` weight, test-time augmentation
    and/or the MC-dropout committee run on a shortlist of frames (see
    :func:`_shortlist`) and the ranking is made among those. When ``min_gap``
    leaves fewer than ``n`` picks in the shortlist, the rest come from all frames
    (without those terms), still ``min_gap`` apart from every pick.

    ``pose_outlier`` fits its pose model on ``labeled_poses`` (``(N, K, 2)`` in the
    model's node order, the project's labels); with fewer than a handful of
    complete ones, on the run's own confident poses instead.

    ``selection`` is :func:`ml_worker.active_learning.rank_frames`'; with
    ``"clusters"`` the shortlist is the typical frames of the uncovered clusters.
    """
    from ml_worker.active_learning import frame_coverage, rank_frames

    extra: dict[str, Any] = {}
    cov = frame_coverage(preds, exclude, n) if selection == "clusters" else None
    tta = artifact is not None and video_path is not None and read_frames is not None
    if tta and any(weights.get(k, 0) > 0 for k in SHORTLIST_SUBSCORES):
        extra = _disagreement(preds, artifact, video_path, exclude, n, read_frames, weights, cov)
    extra["expected_instances"] = expected_instances
    extra["selection"] = selection
    extra["clusters"] = cov
    if weights.get("pose_outlier", 0) > 0:
        extra["pose_model"] = pose_model(preds, labeled_poses)
    picked = rank_frames(preds, n=n, weights=weights, exclude=exclude, min_gap=min_gap, **extra)
    if set(SHORTLIST_SUBSCORES) & extra.keys() and len(picked) < n:
        gap = max(min_gap, 1)
        near = {s.frame_index + d for s in picked for d in range(1 - gap, gap)}
        rest = {k: v for k, v in weights.items() if k not in SHORTLIST_SUBSCORES}
        if any(v > 0 for v in rest.values()):
            picked += rank_frames(preds, n=n - len(picked), weights=rest,
                                  exclude=set(exclude) | near, min_gap=min_gap,
                                  selection=selection,
                                  expected_instances=expected_instances,
                                  pose_model=extra.get("pose_model"))  # fmt: skip
    return [
        {
            "frame_index": int(s.frame_index),
            "score": float(s.score),
            "subscores": {k: float(v) for k, v in s.subscores.items()},
            "reasons": [str(r) for r in s.reasons],
        }
        for s in picked
    ]


def _shortlist(preds: Any, exclude: set[int], n: int, cov: Any = None) -> np.ndarray:
    """Rows worth a closer look: the most uncertain/jumpy ones plus evenly spaced ones
    (with a clustering ``cov``: the typical rows of the largest uncovered clusters,
    :func:`ml_worker.coverage.shortlist_rows`), and the frames that fix tracking (swap
    candidates, identity disagreements; the strongest ``size // 2``), which rank first
    and so must be among the candidates."""
    from ml_worker.active_learning import IDENTITY_SUBSCORES, rank_normalise, score_frames
    from ml_worker.coverage import shortlist_rows

    size = max(TTA_SHORTLIST_MIN, TTA_SHORTLIST_PER_SUGGESTION * n)
    open_rows = np.flatnonzero(~np.isin(preds.frame_indices, list(exclude)))
    raw = score_frames(preds)
    static = sum(rank_normalise(v[open_rows]) for v in raw.values())
    if cov is not None and cov.uncovered:
        best = shortlist_rows(cov, open_rows, static, n, size)
        spread = best[:0]
    else:
        best = open_rows[np.argsort(-static)[: size // 2]]
        spread = open_rows[np.linspace(0, len(open_rows) - 1, size // 2).astype(int)]
    identity = sum((raw[k][open_rows] for k in IDENTITY_SUBSCORES if k in raw),
                   np.zeros(len(open_rows)))  # fmt: skip
    strongest = np.argsort(-identity)[: size // 2]
    fixes = open_rows[strongest[identity[strongest] > 0]]
    return np.unique(np.concatenate([best, spread, fixes])) if len(open_rows) else open_rows


def _disagreement(
    preds: Any, artifact: Any, video_path: Path, exclude: set[int], n: int,
    read_frames: ReadFrames, weights: dict[str, float] | None = None, cov: Any = None,
) -> dict[str, Any]:  # fmt: skip
    """``rank_frames`` keyword arguments: TTA and/or committee spread on a shortlist
    (those with a positive weight; default TTA only), ranked among it."""
    from ml_worker.active_learning import tta_predictions
    from ml_worker.ensemble import ensemble_disagreement

    weights = {"disagreement": 1.0} if weights is None else weights
    rows = _shortlist(preds, exclude, n, cov)
    if len(rows) == 0:
        return {}
    # The caller's reader decodes frame-exact, in one pass through the video.
    frames = np.stack(read_frames(video_path, [int(preds.frame_indices[r]) for r in rows]))
    out: dict[str, Any] = {"candidates": preds.frame_indices[rows].tolist()}
    if weights.get("disagreement", 0) > 0:
        out["disagreement"] = np.zeros(len(preds))
        out["disagreement"][rows] = tta_predictions(artifact, frames).spread
    if weights.get("ensemble_disagreement", 0) > 0:
        out["ensemble_disagreement"] = np.zeros(len(preds))
        committee = ensemble_disagreement(artifact, frames, passes=ENSEMBLE_PASSES)
        out["ensemble_disagreement"][rows] = committee.spread
    return out


def pose_model(preds: Any, labeled_poses: np.ndarray | None, threshold: float = 0.4) -> Any:
    """The low-rank pose model of ``pose_outlier``: fitted on the labeled poses, or, with
    too few of those, on the run's poses whose every node is confident (None if neither
    gives enough)."""
    from ml_worker.pose_pca import complete_poses, fit_pose_pca

    model = fit_pose_pca(labeled_poses) if labeled_poses is not None else None
    if model is None:
        points = np.array(preds.points, dtype=np.float64)
        points[np.asarray(preds.scores) < threshold] = np.nan
        poses = complete_poses(points, 0.5)
        # Evenly spaced, so a long video's fit stays well under a second.
        rows = np.linspace(0, len(poses) - 1, min(len(poses), 2000)).astype(int)
        model = fit_pose_pca(poses[rows])
    return model


def render(video_path: Path, preds: Any, out: Path, edges: Sequence[Sequence[int]]) -> Path:
    """The video with the skeleton (node index pairs) drawn on (H.264 mp4); returns the path."""
    from ml_worker.video_render import render_video

    return render_video(video_path, preds, out, edges=[(a, b) for a, b in edges])


def summarize(preds: Any, seconds: float) -> dict[str, Any]:
    """Mean score overall and per node, frame count and speed, for the run row."""
    frames = len(preds.scores)
    # every predicted animal counts; empty instance slots (NaN points) do not
    found = np.isfinite(np.asarray(preds.points)).all(axis=-1)
    scores = np.where(found, np.asarray(preds.scores, np.float64), np.nan)
    scores = scores.reshape(-1, scores.shape[-1])
    names = list(preds.node_names) or [str(k) for k in range(scores.shape[1])]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a node never found: NaN mean
        per_node = np.nanmean(scores, axis=0) if len(scores) else np.full(len(names), np.nan)
        mean = _finite(np.nanmean(scores)) if scores.size else None
    return {
        "frames": frames,
        "mean_score": mean,
        "per_node_mean_score": {n: _finite(v) for n, v in zip(names, per_node, strict=True)},
        "seconds": round(seconds, 2),
        "frames_per_second": round(frames / seconds, 1) if seconds > 0 else None,
    }


def _finite(value: float) -> float | None:
    return round(float(value), 4) if np.isfinite(value) else None


def read_prediction_arrays(path: Path) -> dict[str, Any]:
    """The arrays of a predictions npz, always with an instance axis.

    Returns ``points (F, I, K, 2)``, ``scores (F, I, K)``, ``instance_scores (F, I)``
    (NaN where unknown), ``track_ids (F, I)`` (-1: none or padding),
    ``frame_indices (F,)``, ``meta`` (with ``track_names``, [] when absent) and, from
    a model with identities only, ``identity_scores (F, I, T)`` and ``identity_names``.
    Files written before the instance axis (``points (F, K, 2)``) read as I = 1.
    Mirrors ``VideoPredictions.save_npz`` with numpy alone, so the web process
    reads predictions without torch.
    """
    with np.load(path, allow_pickle=False) as data:
        points, scores = data["points"], data["scores"]
        if points.ndim == 3:
            points, scores = points[:, None], scores[:, None]
        shape = points.shape[:2]
        meta = json.loads(str(data["meta"]))
        meta.setdefault("track_names", [])
        identity = {}
        if "identity_scores" in data:
            identity = {"identity_scores": data["identity_scores"],
                        "identity_names": [str(n) for n in data["identity_names"]]}
        return {
            **identity,
            "points": points,
            "scores": scores,
            "instance_scores": (
                data["instance_scores"].reshape(shape) if "instance_scores" in data
                else np.full(shape, np.nan, np.float32)
            ),
            "track_ids": (
                data["track_ids"].astype(np.int32).reshape(shape) if "track_ids" in data
                else np.full(shape, -1, np.int32)
            ),
            "frame_indices": data["frame_indices"],
            "meta": meta,
        }  # fmt: skip
