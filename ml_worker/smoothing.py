"""Temporal smoothing of keypoint tracks: median and Savitzky-Golay filters over time.

Flow, per node and coordinate:

1. points whose score is below ``threshold`` (or that are NaN) are dropped
   (set to NaN) — a bad detection must not drag its neighbours;
2. with ``interpolate=True``, interior gaps of at most ``max_gap`` frames are
   filled by linear interpolation between the confident points around them;
   longer gaps and gaps at the start or end of the track stay NaN;
3. each run of consecutive finite frames is filtered on its own (a filter
   never reaches across a NaN gap). Runs shorter than the window get a
   window shrunk to the run (Savitzky-Golay: left as is if too short for the
   polynomial).

Points are ``(F, K, 2)`` (one animal) or ``(F, I, K, 2)`` with scores ``(F, K)`` or
``(F, I, K)``: each instance slot is smoothed on its own, as one animal over time
(so slots should follow identities, e.g. ordered by track). Inputs are never
modified; every function returns a new array of the input's shape.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.ndimage import median_filter
from scipy.signal import savgol_filter


def confident_points(points: np.ndarray, scores: np.ndarray | None, threshold: float) -> np.ndarray:
    """Copy of ``points (F, [I,] K, 2)`` with NaN where ``scores (F, [I,] K)`` < ``threshold``."""
    out = np.array(points, dtype=np.float64, copy=True)
    _check(out, scores)
    if scores is not None:
        out[np.asarray(scores) < threshold] = np.nan
    return out


def interpolate_gaps(points: np.ndarray, max_gap: int | None = None) -> np.ndarray:
    """Linearly fill interior NaN gaps of at most ``max_gap`` frames.

    Args:
        points: ``(F, K, 2)`` or ``(F, I, K, 2)`` with NaN gaps.
        max_gap: longest gap filled (None: any length).

    Returns:
        A new array of the same shape; leading/trailing gaps and longer gaps stay NaN.
    """
    shape = np.shape(points)
    out = np.array(points, dtype=np.float64, copy=True).reshape(shape[0], -1, 2)
    t = np.arange(len(out))
    for k in range(out.shape[1]):
        track = out[:, k]  # (F, 2), a view
        valid = np.isfinite(track).all(axis=1)
        if valid.sum() < 2:
            continue
        first, last = np.flatnonzero(valid)[[0, -1]]
        fill = ~valid
        fill[:first] = False
        fill[last + 1 :] = False
        if max_gap is not None:
            for a, b in _runs(fill):
                if b - a > max_gap:
                    fill[a:b] = False
        for c in range(2):
            track[fill, c] = np.interp(t[fill], t[valid], track[valid, c])
    return out.reshape(shape)


def median_smooth(
    points: np.ndarray,
    scores: np.ndarray | None = None,
    *,
    window: int = 5,
    threshold: float = 0.2,
    interpolate: bool = True,
    max_gap: int | None = 10,
) -> np.ndarray:
    """Running median over time of each node's confident points.

    Args:
        points: ``(F, K, 2)`` or ``(F, I, K, 2)`` frame pixels.
        scores: ``(F, K)`` or ``(F, I, K)`` confidences; None keeps every finite point.
        window: odd window length in frames.
        threshold: points with a lower score are dropped before filtering.
        interpolate: fill interior gaps of at most ``max_gap`` frames first.
        max_gap: longest gap interpolated.

    Returns:
        New float32 array of the points' shape, NaN where no confident value is left.
    """
    _check_window(window)
    return _filter_runs(
        points,
        scores,
        threshold,
        interpolate,
        max_gap,
        lambda seg: median_filter(seg, size=(min(window, len(seg)), 1), mode="nearest"),
    )


def savgol_smooth(
    points: np.ndarray,
    scores: np.ndarray | None = None,
    *,
    window: int = 7,
    polyorder: int = 2,
    threshold: float = 0.2,
    interpolate: bool = True,
    max_gap: int | None = 10,
) -> np.ndarray:
    """Savitzky-Golay filter (local polynomial fit) over time of each node's confident points.

    Args:
        points: ``(F, K, 2)`` or ``(F, I, K, 2)`` frame pixels.
        scores: ``(F, K)`` or ``(F, I, K)`` confidences; None keeps every finite point.
        window: odd window length in frames (> ``polyorder``).
        polyorder: polynomial order.
        threshold: points with a lower score are dropped before filtering.
        interpolate: fill interior gaps of at most ``max_gap`` frames first.
        max_gap: longest gap interpolated.

    Returns:
        New float32 array of the points' shape, NaN where no confident value is left.
    """
    _check_window(window)
    if not 0 <= polyorder < window:
        raise ValueError(f"polyorder must be in [0, window), got {polyorder}")

    def apply(seg: np.ndarray) -> np.ndarray:
        w = min(window, len(seg) if len(seg) % 2 else len(seg) - 1)
        if w <= polyorder:
            return seg
        return savgol_filter(seg, w, polyorder, axis=0, mode="interp")

    return _filter_runs(points, scores, threshold, interpolate, max_gap, apply)


def _filter_runs(
    points: np.ndarray,
    scores: np.ndarray | None,
    threshold: float,
    interpolate: bool,
    max_gap: int | None,
    apply: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    out = confident_points(points, scores, threshold)
    if interpolate:
        out = interpolate_gaps(out, max_gap)
    shape = out.shape
    out = out.reshape(shape[0], -1, 2)  # every (instance, node) is one track over time
    for k in range(out.shape[1]):
        valid = np.isfinite(out[:, k]).all(axis=1)
        out[~valid, k] = np.nan
        for a, b in _runs(valid):
            out[a:b, k] = apply(out[a:b, k])
    return out.reshape(shape).astype(np.float32)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open ``[a, b)`` ranges where the boolean ``mask (F,)`` is True."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _check(points: np.ndarray, scores: np.ndarray | None) -> None:
    if points.ndim not in (3, 4) or points.shape[-1] != 2:
        raise ValueError(f"points must be (F, K, 2) or (F, I, K, 2), got {points.shape}")
    if scores is not None and np.shape(scores) != points.shape[:-1]:
        raise ValueError(f"scores must be {points.shape[:-1]}, got {np.shape(scores)}")


def _check_window(window: int) -> None:
    if window < 1 or window % 2 == 0:
        raise ValueError(f"window must be a positive odd number, got {window}")
