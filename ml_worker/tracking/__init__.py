"""Tracking: give the animals of every frame an identity that holds across the video.

Pure numpy + scipy, so inference runs it right after the model and a finished
prediction run can be re-tracked without re-inferring. Flow of :func:`track`:

1. :func:`ml_worker.tracking.online.link`, the online pass: frame by frame,
   the tracks seen within a window of frames, moved by a motion model, are
   paired with the frame's instances by the Hungarian algorithm on a
   configurable similarity (OKS, centroid distance or box IoU), giving tracklets;
2. :func:`ml_worker.tracking.stitch.stitch`, when the number of animals is known
   (``max_tracks``): tracklets are joined into that many identities; or, when
   the model gives identity scores (and ``identity`` is on),
   :func:`ml_worker.tracking.identity.name_tracks` names every tracklet's
   instances after the model's identities, frame by frame.

:func:`retrack` and :func:`retrack_file` do the same on the arrays of a
predictions ``.npz`` (the contract in ``infer.VideoPredictions``), filling its
``track_ids`` and ``meta["track_names"]``. Speed is reported as frames per
second of tracking alone, apart from inference.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml_worker.tracking.config import TrackerConfig
from ml_worker.tracking.identity import name_tracks
from ml_worker.tracking.online import link
from ml_worker.tracking.stitch import stitch

__all__ = ["TrackerConfig", "TrackingResult", "link", "retrack", "retrack_file", "stitch",
           "track", "track_names"]


def track(points: np.ndarray, scores: np.ndarray | None = None,
          instance_scores: np.ndarray | None = None, *, config: TrackerConfig,
          frame_indices: np.ndarray | None = None,
          identity_scores: np.ndarray | None = None) -> np.ndarray:
    """Identities for every instance of every frame.

    Args:
        points: ``(F, I, K, 2)`` NaN-padded poses (``(F, K, 2)``: one animal).
        scores: ``(F, I, K)`` node confidences; used for the instance score
            when ``instance_scores`` is None (their mean over found nodes).
        instance_scores: ``(F, I)`` animal confidences, or None.
        config: tracker settings.
        frame_indices: ``(F,)`` video frame of each row; default ``0..F-1``.
        identity_scores: ``(F, I, T)`` a model's identity probabilities, or None.

    Returns:
        ``(F, I)`` int32 track ids ``0..`` by first appearance, -1 untracked;
        with ``config.max_tracks`` set, at most that many distinct ids. With
        identity scores (and ``config.identity``): the identity index ``0..T-1``.
    """
    points = np.asarray(points)
    if points.ndim == 3:
        points = points[:, None]
        scores = None if scores is None else np.asarray(scores)[:, None]
        instance_scores = None if instance_scores is None else np.asarray(instance_scores)[:, None]
    if instance_scores is None and scores is not None:
        instance_scores = _mean_found(np.asarray(scores, np.float64), points)
    ids = link(points, instance_scores, config, frame_indices)
    if identity_scores is not None and config.identity:
        scores_3d = np.asarray(identity_scores).reshape(*ids.shape, -1)
        return name_tracks(ids, scores_3d, frame_indices, window=config.identity_window)
    if config.max_tracks is not None and config.stitch:
        ids = stitch(points, ids, config.max_tracks, frame_indices=frame_indices,
                     max_extrapolation=config.max_extrapolation,
                     min_length=config.min_tracklet_length)
    return ids


def track_names(track_ids: np.ndarray, names: Sequence[str] | None = None) -> list[str]:
    """Names for ids ``0..max``: ``names`` first (identity names), then ``track_<i>``."""
    n = int(track_ids.max()) + 1 if track_ids.size else 0
    given = list(names or [])
    return [given[i] if i < len(given) else f"track_{i}" for i in range(n)]


@dataclass
class TrackingResult:
    """Identities found by :func:`retrack`."""

    track_ids: np.ndarray  # (F, I) int32, -1 untracked
    track_names: list[str]
    seconds: float

    @property
    def frames_per_second(self) -> float:
        return len(self.track_ids) / max(self.seconds, 1e-9)


def retrack(arrays: Mapping[str, np.ndarray], config: TrackerConfig,
            names: Sequence[str] | None = None) -> TrackingResult:
    """Track the arrays of a predictions file (``points``, ``scores``, optional
    ``instance_scores``, ``frame_indices``, ``identity_scores`` and
    ``identity_names``), ignoring any ids it has. With identities the tracks are
    named after them (``names`` is then ignored)."""
    start = time.perf_counter()
    identity = arrays.get("identity_scores") if config.identity else None
    ids = track(arrays["points"], arrays.get("scores"), arrays.get("instance_scores"),
                config=config, frame_indices=arrays.get("frame_indices"),
                identity_scores=identity)
    seconds = time.perf_counter() - start
    if identity is not None:
        given = [str(n) for n in arrays.get("identity_names", [])]
        return TrackingResult(ids, _identity_names(given, np.asarray(identity).shape[-1]),
                              seconds)
    return TrackingResult(ids, track_names(ids, names), seconds)


def retrack_file(path: str | Path, config: TrackerConfig, *, out: str | Path | None = None,
                 names: Sequence[str] | None = None) -> TrackingResult:
    """Re-track a predictions ``.npz`` in place (or into ``out``), atomically.

    Every other array is kept; ``track_ids`` and ``meta["track_names"]`` are
    replaced and ``meta["tracking"]`` records the settings and speed.
    """
    src = Path(path)
    with np.load(src, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    result = retrack(arrays, config, names)
    meta = json.loads(str(arrays["meta"])) if "meta" in arrays else {}
    meta["track_names"] = result.track_names
    meta["tracking"] = {"config": config.to_dict(),
                        "frames_per_second": round(result.frames_per_second, 1)}
    arrays["track_ids"] = result.track_ids  # (F, 1) for a file without the instance axis
    arrays["meta"] = np.array(json.dumps(meta))
    dest = Path(out) if out is not None else src
    tmp = dest.with_name(dest.name + ".tmp")
    with open(tmp, "wb") as fh:  # a file object: np.savez would append ".npz" to a name
        np.savez(fh, **arrays)
    os.replace(tmp, dest)
    return result


def _identity_names(given: Sequence[str], count: int) -> list[str]:
    """Every identity's name (``identity_<t>`` where the file has none)."""
    return [given[t] if t < len(given) else f"identity_{t}" for t in range(count)]


def _mean_found(scores: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``(F, I)`` mean score over each instance's found nodes (NaN with none)."""
    found = np.isfinite(points).all(-1) & np.isfinite(scores)
    total = np.where(found, scores, 0.0).sum(-1)
    n = found.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, total / n, np.nan)
