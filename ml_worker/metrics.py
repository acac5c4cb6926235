"""Keypoint accuracy on held-out frames: RMSE, PCK at pixel thresholds, per-node RMSE.

A point counts when it is labeled in the ground truth: visible (2) and
occluded (1) points are evaluated, absent (0) or NaN points are not. A
labeled point the model did not predict (NaN prediction) counts as a miss
(infinite error), so a model cannot look better by abstaining.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

THRESHOLDS_PX = (2.0, 5.0, 10.0)


def keypoint_errors(pred: np.ndarray, gt: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """Euclidean error of every point, NaN where the ground truth is not labeled.

    Args:
        pred: ``(N, K, 2)`` predicted pixels (NaN = not predicted).
        gt: ``(N, K, 2)`` labeled pixels (NaN = unlabeled).
        visibility: ``(N, K)`` 2 visible / 1 occluded / 0 absent.

    Returns:
        ``(N, K)`` errors in pixels; ``inf`` where labeled but not predicted.
    """
    labeled = (np.asarray(visibility) > 0) & np.isfinite(gt).all(axis=-1)
    err = np.linalg.norm(np.asarray(pred, dtype=np.float64) - gt, axis=-1)
    err = np.where(np.isfinite(err), err, np.inf)
    return np.where(labeled, err, np.nan)


def compute_metrics(
    pred: np.ndarray,
    gt: np.ndarray,
    visibility: np.ndarray,
    keys: Sequence[str],
    node_names: Sequence[str],
    thresholds: Sequence[float] = THRESHOLDS_PX,
) -> dict[str, Any]:
    """Summary metrics over held-out frames.

    Args:
        pred: ``(N, K, 2)`` predictions in frame pixels.
        gt: ``(N, K, 2)`` ground truth, NaN where unlabeled.
        visibility: ``(N, K)`` visibility flags.
        keys: N frame keys that were evaluated.
        node_names: K node names.
        thresholds: PCK thresholds in pixels.

    Returns:
        JSON-ready dict: ``rmse_px``, ``mean_error_px``, ``median_error_px``,
        ``pck_<t>px`` for each threshold, ``per_node_rmse_px`` (name -> value,
        None for a node with no labels), ``n_frames``, ``n_points`` and
        ``frame_keys``. Values are None when no point is labeled.
    """
    err = keypoint_errors(pred, gt, visibility)
    flat = err[np.isfinite(err) | np.isinf(err)]
    out: dict[str, Any] = {"n_frames": len(keys), "n_points": int(flat.size),
                           "frame_keys": list(keys)}
    out["rmse_px"] = _rmse(flat)
    out["mean_error_px"] = float(np.mean(flat)) if flat.size else None
    out["median_error_px"] = float(np.median(flat)) if flat.size else None
    for t in thresholds:
        out[f"pck_{t:g}px"] = float(np.mean(flat <= t)) if flat.size else None
    out["per_node_rmse_px"] = {
        name: _rmse(col[~np.isnan(col)]) for name, col in zip(node_names, err.T, strict=True)
    }
    return out


def _rmse(errors: np.ndarray) -> float | None:
    if errors.size == 0:
        return None
    value = float(np.sqrt(np.mean(np.square(errors))))
    return value if np.isfinite(value) else None
