"""Per-frame sub-scores for active learning, from one video's predictions (numpy only).

Each is "higher = more worth labeling" (see :mod:`ml_worker.active_learning`
for how they are mixed and ranked):

- ``uncertainty``: half ``1 - mean peak score``, half the fraction of nodes
  below the confidence threshold (missing nodes);
- ``temporal``: median over nodes of the jump from the previous and to the
  next frame, in body lengths, averaged over the sides that exist (a one-frame
  glitch scores its full jump, its neighbours half); 0 without neighbours;
- ``instance_count``: how much the number of animals found differs from the
  neighbouring frames' and from the project's expected count (only where
  there can be several animals);
- ``disagreement`` is measured by :mod:`ml_worker.tta` and only passed through,
  as is ``ensemble_disagreement`` (:mod:`ml_worker.ensemble`: MC dropout passes
  and other model versions);
- ``pose_outlier``: how implausible the worst animal's pose is under a low-rank
  model of the labeled poses (:mod:`ml_worker.pose_pca`), when one is given;
- ``swap_candidate`` and ``identity_disagreement`` (tracked runs): the frames
  that fix tracking, from :mod:`ml_worker.tracking_scores`.

With several animals (``points (F, I, K, 2)``) uncertainty and jumps are
measured per instance and a frame scores its worst animal; jumps follow each
animal to its match in the neighbouring frame (same track, else the nearest).
One animal, ``(F, K, 2)`` or ``(F, 1, K, 2)``, scores exactly as before.

:func:`embed` gives the vectors of the diversity term: the pooled
instance-bottleneck activations from :func:`ml_worker.infer.predict_video`
(``with_features=True``); without them the pose itself, centred on the anchor
and divided by the body size. Body size is the median bounding-box diagonal of
confident points.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import linear_sum_assignment

from ml_worker.pose_pca import MIN_NODES, PosePCA, pose_outlier_scores
from ml_worker.tracking_scores import identity_subscores

if TYPE_CHECKING:  # only for annotations: this module needs no torch
    from ml_worker.infer import VideoPredictions


def animal_size(
    points: np.ndarray, scores: np.ndarray | None = None, threshold: float = 0.4
) -> float:
    """Median bounding-box diagonal (px) of the confident points of each frame.

    Args:
        points: ``(F, K, 2)`` or ``(F, I, K, 2)`` (every instance counts as an animal).
        scores: ``(F, [I,] K)``; None uses every finite point.
        threshold: minimum score of a point used.

    Returns:
        Body size in pixels (at least 1; 1 when no animal has two confident points).
    """
    p = np.array(points, dtype=np.float64)
    if scores is not None:
        p[np.asarray(scores) < threshold] = np.nan
    p = p.reshape(-1, p.shape[-2], 2)
    ok = np.isfinite(p).all(axis=-1).sum(axis=1) >= 2
    if not ok.any():
        return 1.0
    p = p[ok]
    diag = np.linalg.norm(np.nanmax(p, axis=1) - np.nanmin(p, axis=1), axis=-1)
    return max(float(np.median(diag)), 1.0)


def uncertainty_scores(
    scores: np.ndarray, threshold: float = 0.4, present: np.ndarray | None = None
) -> np.ndarray:
    """Peak scores -> ``(F,)`` ``0.5 (1 - mean score) + 0.5 fraction below threshold``.

    Args:
        scores: ``(F, K)``, or ``(F, I, K)``: then the frame scores its most
            uncertain instance among ``present``.
        threshold: confidence below which a node counts as missing.
        present: ``(F, I)`` instances that exist (default all); slot 0 always
            counts, so a frame where nothing was found scores as fully uncertain.
    """
    s = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=0.0).clip(0.0, 1.0)
    per = 0.5 * (1.0 - s.mean(axis=-1)) + 0.5 * (s < threshold).mean(axis=-1)
    if per.ndim == 1:
        return per
    mask = np.ones(per.shape, bool) if present is None else np.array(present, bool)
    mask[:, 0] = True
    return np.where(mask, per, -np.inf).max(axis=1)


def instance_uncertainty(scores: np.ndarray, threshold: float = 0.4) -> np.ndarray:
    """``(F, I, K)`` peak scores -> ``(F, I)`` uncertainty of each instance (as above)."""
    s = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=0.0).clip(0.0, 1.0)
    return 0.5 * (1.0 - s.mean(axis=-1)) + 0.5 * (s < threshold).mean(axis=-1)


def instances_found(points: np.ndarray, scores: np.ndarray, threshold: float = 0.4) -> np.ndarray:
    """``(F, I)``: the instance has at least one node found with a score >= ``threshold``."""
    ok = np.isfinite(np.asarray(points)).all(axis=-1)
    return (ok & (np.nan_to_num(np.asarray(scores, np.float64)) >= threshold)).any(axis=-1)


def frame_jumps(
    points: np.ndarray, frame_indices: np.ndarray, size: float, track_ids: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Jump from the previous and to the next frame, in body lengths.

    Args:
        points: ``(F, K, 2)`` rows sorted by frame index, or ``(F, I, K, 2)``:
            then each frame's largest instance jump (see :func:`instance_jumps`).
        frame_indices: ``(F,)``; rows whose indices differ by 1 are neighbours.
        size: body size in pixels.
        track_ids: ``(F, I)`` identities for matching instances (-1: none).

    Returns:
        ``prev (F,)`` and ``next (F,)``: median over nodes of the point
        displacement divided by ``size``; NaN where there is no neighbour.
    """
    p = np.asarray(points, dtype=np.float64)
    if p.ndim == 4:
        prev_i, next_i = instance_jumps(p, frame_indices, size, track_ids)
        return nanmax_rows(prev_i), nanmax_rows(next_i)
    step = np.full(len(p), np.nan)
    if len(p) > 1:
        with np.errstate(all="ignore"):
            d = np.linalg.norm(p[1:] - p[:-1], axis=-1)  # (F-1, K)
            d = np.where(np.isfinite(d), d, np.nan)
            med = np.array([np.nanmedian(r) if np.isfinite(r).any() else np.nan for r in d])
        adjacent = np.diff(np.asarray(frame_indices)) == 1
        step[1:] = np.where(adjacent, med / size, np.nan)
    nxt = np.append(step[1:], np.nan)
    return step, nxt


def instance_jumps(
    points: np.ndarray, frame_indices: np.ndarray, size: float, track_ids: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-instance jumps, in body lengths, to the matching instance of each neighbour.

    Instances of neighbouring frames are matched by track where both have one,
    the rest by least total displacement (Hungarian, on the median node distance).

    Args:
        points: ``(F, I, K, 2)`` rows sorted by frame index.
        frame_indices: ``(F,)``.
        size: body size in pixels.
        track_ids: ``(F, I)`` or None.

    Returns:
        ``prev (F, I)`` and ``next (F, I)``; NaN without a neighbour or a match.
    """
    p = np.asarray(points, dtype=np.float64)
    f, i = p.shape[:2]
    prev, nxt = np.full((f, i), np.nan), np.full((f, i), np.nan)
    if f < 2:
        return prev, nxt
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: no match
        d = np.linalg.norm(p[1:, :, None] - p[:-1, None, :], axis=-1)  # (F-1, I, I, K)
        cost = np.nanmedian(np.where(np.isfinite(d), d, np.nan), axis=-1) / size
    adjacent = np.flatnonzero(np.diff(np.asarray(frame_indices)) == 1)
    tracks = np.full((f, i), -1) if track_ids is None else np.asarray(track_ids)
    for r in adjacent:
        for a, b in _match(cost[r], tracks[r + 1], tracks[r]):
            prev[r + 1, a] = nxt[r, b] = cost[r, a, b]
    return prev, nxt


def _match(cost: np.ndarray, now: np.ndarray, before: np.ndarray) -> list[tuple[int, int]]:
    """Pairs (instance now, instance before): same track first, then least cost."""
    pairs = [(a, int(np.flatnonzero(before == now[a])[0]))
             for a in range(len(now)) if now[a] >= 0 and (before == now[a]).any()]  # fmt: skip
    rows = [a for a in range(cost.shape[0]) if a not in {x for x, _ in pairs}]
    cols = [b for b in range(cost.shape[1]) if b not in {y for _, y in pairs}]
    sub = cost[np.ix_(rows, cols)]
    if sub.size and np.isfinite(sub).any():
        ra, cb = linear_sum_assignment(np.where(np.isfinite(sub), sub, 1e12))
        pairs += [(rows[x], cols[y]) for x, y in zip(ra, cb, strict=True) if np.isfinite(sub[x, y])]
    return [(a, b) for a, b in pairs if np.isfinite(cost[a, b])]


def nanmax_rows(values: np.ndarray) -> np.ndarray:
    """``(F, I)`` -> ``(F,)`` max over the finite values; NaN where there is none."""
    finite = np.isfinite(values)
    return np.where(finite.any(axis=1), np.where(finite, values, -np.inf).max(axis=1), np.nan)


def temporal_scores(
    points: np.ndarray, frame_indices: np.ndarray, size: float, track_ids: np.ndarray | None = None
) -> np.ndarray:
    """``(F,)`` mean of the available previous/next jumps (body lengths); 0 if neither."""
    prev, nxt = frame_jumps(points, frame_indices, size, track_ids)
    both = np.stack([prev, nxt])
    count = np.isfinite(both).sum(axis=0)
    return np.where(count > 0, np.nansum(both, axis=0) / np.maximum(count, 1), 0.0)


def count_scores(
    found: np.ndarray, frame_indices: np.ndarray, expected: int | None = None
) -> np.ndarray:
    """``(F,)`` how far the number of animals found is off, in animals.

    The mean absolute difference to the neighbouring frames' counts (those
    that exist), plus the difference to ``expected`` when the project knows it.

    Args:
        found: ``(F, I)`` bool, from :func:`instances_found`.
        frame_indices: ``(F,)``; rows whose indices differ by 1 are neighbours.
        expected: animals a frame should hold, or None.
    """
    n = np.asarray(found, bool).sum(axis=1).astype(np.float64)
    step = np.full(len(n), np.nan)
    step[1:] = np.where(np.diff(np.asarray(frame_indices)) == 1, np.abs(np.diff(n)), np.nan)
    both = np.stack([step, np.append(step[1:], np.nan)])
    count = np.isfinite(both).sum(axis=0)
    near = np.where(count > 0, np.nansum(both, axis=0) / np.maximum(count, 1), 0.0)
    return near + (np.abs(n - expected) if expected is not None else 0.0)


def with_instances(preds: VideoPredictions) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``points (F, I, K, 2)``, ``scores (F, I, K)`` and ``track_ids (F, I)`` or None,
    whichever layout the predictions have."""
    points, scores = np.asarray(preds.points), np.asarray(preds.scores)
    if points.ndim == 3:
        return points[:, None], scores[:, None], None
    return points, scores, getattr(preds, "track_ids", None)


def embed(
    preds: VideoPredictions, threshold: float = 0.4, extra_features: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Vectors for the diversity term.

    Args:
        preds: predictions; uses ``features`` when present, else the pose.
        threshold: pose fallback: points below it count as the anchor.
        extra_features: ``(M, D)`` raw features of labeled frames outside
            ``preds`` (standardised like ``preds.features``); needs features.

    Returns:
        ``(F, E)`` float64 for the rows of ``preds`` and ``(M, E)`` or None.
    """
    if preds.features is not None and preds.features.shape[1] > 0:
        f = preds.features.astype(np.float64)
        mean, std = f.mean(axis=0), f.std(axis=0) + 1e-6
        scale = math.sqrt(f.shape[1])
        extra = None
        if extra_features is not None and len(extra_features):
            extra = (np.asarray(extra_features, np.float64) - mean) / std / scale
        return (f - mean) / std / scale, extra
    if extra_features is not None and len(extra_features):
        raise ValueError("extra_features needs preds.features (predict with with_features=True)")
    size = animal_size(preds.points, preds.scores, threshold)
    points, scores, _ = with_instances(preds)
    anchors = np.asarray(preds.anchors, np.float64)
    anchors = anchors[:, 0] if anchors.ndim == 3 else anchors  # the first (best) animal
    rel = (points[:, 0].astype(np.float64) - anchors[:, None, :]) / size
    rel[(scores[:, 0] < threshold) | ~np.isfinite(rel).all(axis=-1)] = 0.0
    return rel.reshape(len(rel), -1), None


def score_frames(
    preds: VideoPredictions,
    disagreement: np.ndarray | None = None,
    threshold: float = 0.4,
    expected_instances: int | None = None,
    identity_scores: np.ndarray | None = None,
    *,
    pose_model: PosePCA | None = None,
    ensemble_disagreement: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Raw per-frame sub-scores (higher = more worth labeling), each ``(F,)``.

    Args:
        preds: one video's predictions (rows sorted by frame index).
        disagreement: ``(F,)`` TTA spread in body lengths (``TTAResult.spread``), or None.
        threshold: confidence below which a node counts as missing.
        expected_instances: animals a frame should hold (the project's count), or None.
        identity_scores: ``(F, I, T)`` identity probabilities, column ``t`` for
            track ``t``; default :func:`ml_worker.tracking_scores.track_identity_scores`.
        pose_model: low-rank model of the labeled poses (gives ``pose_outlier``).
        ensemble_disagreement: ``(F,)`` committee spread in body lengths
            (``EnsembleResult.spread``), or None.

    Returns:
        ``{"uncertainty", "temporal"[, "disagreement"][, "ensemble_disagreement"]
        [, "pose_outlier"][, "instance_count"][, "swap_candidate"]
        [, "identity_disagreement"]}``; ``instance_count`` only
        where several animals are possible and some frame's count is off, the
        identity ones only where some frame has something to fix. ``diversity``
        depends on the picks and is computed by :func:`rank_frames`.
    """
    points, scores, tracks = with_instances(preds)
    size = animal_size(preds.points, preds.scores, threshold)
    present = np.isfinite(points).all(axis=-1).any(axis=-1)
    out = {
        "uncertainty": uncertainty_scores(preds.scores, threshold, present=present),
        "temporal": temporal_scores(preds.points, preds.frame_indices, size, tracks),
    }
    if points.shape[1] > 1 or expected_instances not in (None, 1):
        found = instances_found(points, scores, threshold)
        counts = count_scores(found, preds.frame_indices, expected_instances)
        if (counts > 0).any():
            out["instance_count"] = counts
    for name, given in (("disagreement", disagreement),
                        ("ensemble_disagreement", ensemble_disagreement)):  # fmt: skip
        if given is not None:
            d = np.asarray(given, dtype=np.float64)
            if d.shape != (len(points),):
                raise ValueError(f"{name} must be ({len(points)},), got {d.shape}")
            out[name] = np.nan_to_num(d, nan=0.0)
    if pose_model is not None:
        out["pose_outlier"] = pose_outlier_scores(pose_model, _confident(points, scores, threshold))
    out.update(identity_subscores(preds, points, tracks, identity_scores))
    return out


def _confident(points: np.ndarray, scores: np.ndarray, threshold: float) -> np.ndarray:
    """``points`` with the nodes below ``threshold`` set to NaN: a node the model did not
    find is uncertainty's business, and would make any pose look implausible. An
    instance with fewer than ``MIN_NODES`` confident nodes keeps all of them (an early
    model is unsure everywhere; its poses still differ in plausibility)."""
    p = np.array(points, dtype=np.float64)
    low = np.nan_to_num(np.asarray(scores, np.float64), nan=0.0) < threshold
    few = (~low & np.isfinite(p).all(axis=-1)).sum(axis=-1) < MIN_NODES
    p[low & ~few[..., None]] = np.nan
    return p
