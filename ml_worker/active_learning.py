"""Which frames to label next: score a video's frames and pick a diverse batch.

Flow:

1. :func:`score_frames` turns one video's predictions into raw per-frame
   sub-scores, each "higher = more worth labeling":

   - ``uncertainty``: half ``1 - mean peak score``, half the fraction of nodes
     below the confidence threshold (missing nodes);
   - ``disagreement``: spread of test-time-augmented predictions, in body
     lengths (:func:`tta_predictions`: flip with left/right swap, small
     rotations and zooms about the animal, mapped back to the frame);
   - ``temporal``: median over nodes of the jump from the previous and to the
     next frame, in body lengths, averaged over the sides that exist (a one-frame
     glitch scores its full jump, its neighbours half); 0 without neighbours;
   - ``diversity``: distance, in feature space, to the nearest frame already
     labeled or already picked (computed during selection);
   - ``instance_count``: how much the number of animals found differs from the
     neighbouring frames' and from the project's expected count (only where
     there can be several animals).

   With several animals (``points (F, I, K, 2)``) uncertainty and jumps are
   measured per instance and a frame scores its worst animal; jumps follow each
   animal to its match in the neighbouring frame (same track, else the nearest).
   One animal, ``(F, K, 2)`` or ``(F, 1, K, 2)``, scores exactly as before.

2. :func:`rank_frames` rank-normalises each sub-score over the candidates to
   [0, 1] (so units do not matter), mixes them with weights, then picks frames
   greedily: each pick is the best combined score, where the diversity term is
   recomputed after every pick (k-center greedy on the features: distance to
   the nearest labeled frame or earlier pick, divided by the largest such
   distance — not ranked, so near-duplicates score about 0), skipping frames
   closer than ``min_gap`` to an earlier pick. Each :class:`Suggestion` says
   why, in words.

Features are the pooled instance-bottleneck activations from
:func:`ml_worker.infer.predict_video` (``with_features=True``); without them
the pose itself, centred on the anchor and divided by the body size, stands in.
Body size is the median bounding-box diagonal of confident points.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from scipy.stats import rankdata

from ml_worker.artifacts import ModelArtifact
from ml_worker.augment import affine_matrix, flip_permutation, transform_points, warp_images
from ml_worker.infer import VideoPredictions
from ml_worker.pipeline import TopDownModel

SUBSCORES = ("uncertainty", "disagreement", "temporal", "diversity", "instance_count")
DEFAULT_WEIGHTS: dict[str, float] = dict.fromkeys(SUBSCORES, 1.0)


@dataclass
class Suggestion:
    """One frame suggested for labeling.

    Attributes:
        frame_index: video frame index.
        score: combined score in [0, 1] when it was picked.
        subscores: sub-scores in [0, 1] (name -> value): ranks, and for
            ``diversity`` the max-normalised k-center distance.
        reasons: short human-readable reasons, most important first.
    """

    frame_index: int
    score: float
    subscores: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)


@dataclass
class TTAResult:
    """Test-time-augmentation predictions of N frames under V variants.

    Attributes:
        variants: V variant names (``"identity"`` first).
        points: ``(V, N, K, 2)`` predictions mapped back to frame pixels
            (``(V, N, I, K, 2)`` from a model with several instance slots).
        scores: ``(V, N, K)`` peak confidences (``(V, N, I, K)``).
        node_spread_px: ``(N, K)`` mean distance of the variants to their median
            (``(N, I, K)``).
        spread: ``(N,)`` mean node spread divided by the body size (body lengths);
            with several animals, the largest instance's.
    """

    variants: list[str]
    points: np.ndarray
    scores: np.ndarray
    node_spread_px: np.ndarray
    spread: np.ndarray


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
        return _nanmax_rows(prev_i), _nanmax_rows(next_i)
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


def _nanmax_rows(values: np.ndarray) -> np.ndarray:
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


def _with_instances(preds: VideoPredictions) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
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
    points, scores, _ = _with_instances(preds)
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
) -> dict[str, np.ndarray]:
    """Raw per-frame sub-scores (higher = more worth labeling), each ``(F,)``.

    Args:
        preds: one video's predictions (rows sorted by frame index).
        disagreement: ``(F,)`` TTA spread in body lengths (``TTAResult.spread``), or None.
        threshold: confidence below which a node counts as missing.
        expected_instances: animals a frame should hold (the project's count), or None.

    Returns:
        ``{"uncertainty", "temporal"[, "disagreement"][, "instance_count"]}``;
        ``instance_count`` only where several animals are possible and some
        frame's count is off. ``diversity`` depends on the picks and is computed
        by :func:`rank_frames`.
    """
    points, scores, tracks = _with_instances(preds)
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
    if disagreement is not None:
        d = np.asarray(disagreement, dtype=np.float64)
        if d.shape != (len(points),):
            raise ValueError(f"disagreement must be ({len(points)},), got {d.shape}")
        out["disagreement"] = np.nan_to_num(d, nan=0.0)
    return out


def rank_normalise(values: np.ndarray) -> np.ndarray:
    """Ranks scaled to [0, 1] (ties share their mean rank; NaN ranks lowest; one value -> 1)."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=-np.inf)
    if len(v) <= 1:
        return np.ones(len(v))
    return (rankdata(v, method="average") - 1) / (len(v) - 1)


def rank_frames(
    preds: VideoPredictions,
    *,
    n: int,
    weights: Mapping[str, float] | None = None,
    exclude: Iterable[int] = (),
    candidates: Iterable[int] | None = None,
    min_gap: int = 0,
    disagreement: np.ndarray | None = None,
    labeled_features: np.ndarray | None = None,
    threshold: float = 0.4,
    expected_instances: int | None = None,
) -> list[Suggestion]:
    """Pick up to ``n`` frames to label: informative, and unlike each other and the labels.

    Args:
        preds: one video's predictions (rows sorted by frame index).
        n: number of suggestions wanted.
        weights: sub-score weights (keys from ``SUBSCORES``; missing keys are
            0); default all four at 1. ``disagreement`` counts only when given.
        exclude: frame indices already labeled: never suggested, and their
            features are centres for the diversity term.
        candidates: frame indices that may be suggested (default: all rows).
        min_gap: picks are at least this many frames apart.
        disagreement: ``(F,)`` TTA spread in body lengths, aligned with ``preds`` rows.
        labeled_features: ``(M, D)`` features of labeled frames from other videos.
        threshold: confidence below which a node counts as missing.
        expected_instances: animals a frame should hold (None: unknown).

    Returns:
        Suggestions in pick order (best first).

    Raises:
        ValueError: unknown weight name, negative weight, or no positive weight.
    """
    raw = score_frames(preds, disagreement, threshold, expected_instances)
    w = _weights(weights, set(raw))
    excluded = {int(i) for i in exclude}
    fi = preds.frame_indices
    allowed = np.ones(len(fi), bool) if candidates is None else np.isin(fi, list(candidates))
    cand = np.flatnonzero(allowed & ~np.isin(fi, list(excluded)))
    if n <= 0 or len(cand) == 0:
        return []
    ranks = {k: rank_normalise(v[cand]) for k, v in raw.items() if w.get(k, 0) > 0}
    total = sum(w.values())
    static = sum((w[k] * r for k, r in ranks.items()), np.zeros(len(cand))) / total
    emb, mind = _initial_distances(preds, cand, excluded, labeled_features, threshold, w)
    has_labels = bool(np.isfinite(mind).any()) if mind is not None else False
    picks: list[Suggestion] = []
    open_ = np.ones(len(cand), bool)
    size = animal_size(preds.points, preds.scores, threshold)
    while len(picks) < n and open_.any():
        div = _max_normalise(mind[open_]) if mind is not None else None
        score = static[open_] + (w["diversity"] * div / total if div is not None else 0.0)
        j_open = int(np.argmax(score))
        j = int(np.flatnonzero(open_)[j_open])
        row = int(cand[j])
        sub = {k: float(r[j]) for k, r in ranks.items()}
        if div is not None:
            sub["diversity"] = float(div[j_open])
        picks.append(
            Suggestion(
                int(fi[row]),
                float(score[j_open]),
                sub,
                _reasons(preds, row, sub, raw, size, threshold, has_labels, len(picks)),
            )
        )
        open_ &= np.abs(fi[cand] - fi[row]) >= max(min_gap, 1)
        if mind is not None:
            mind = np.minimum(mind, np.linalg.norm(emb[cand] - emb[row], axis=1))
    return picks


def _max_normalise(distances: np.ndarray) -> np.ndarray:
    """Distances divided by their max (all 1 when every distance is inf or all are 0).

    Not ranks: near-duplicates of a labeled frame must score about 0, however
    many of them there are, or k-center greedy stops spreading the picks.
    """
    top = distances.max() if len(distances) else 0.0
    if not np.isfinite(top) or top <= 0:
        return np.ones(len(distances))
    return distances / top


def _weights(weights: Mapping[str, float] | None, available: set[str]) -> dict[str, float]:
    """Weights for every sub-score; those the predictions cannot give
    (``disagreement`` without TTA, ``instance_count`` for one animal) are 0."""
    w = dict(DEFAULT_WEIGHTS if weights is None else weights)
    unknown = sorted(set(w) - set(SUBSCORES))
    if unknown:
        raise ValueError(f"weights: unknown sub-score(s) {unknown}; use {list(SUBSCORES)}")
    if any(v < 0 for v in w.values()):
        raise ValueError(f"weights: must be >= 0, got {w}")
    w = {k: float(w.get(k, 0.0)) for k in SUBSCORES}
    for optional in ("disagreement", "instance_count"):
        if optional not in available:
            w[optional] = 0.0
    if sum(w.values()) <= 0:
        raise ValueError("weights: at least one usable sub-score needs a positive weight")
    return w


def _initial_distances(
    preds: VideoPredictions,
    cand: np.ndarray,
    excluded: set[int],
    labeled_features: np.ndarray | None,
    threshold: float,
    w: dict[str, float],
) -> tuple[np.ndarray, np.ndarray | None]:
    """Embedding ``(F, E)`` and ``(C,)`` candidate distance to the nearest labeled frame.

    The distances are inf when nothing is labeled, None when diversity is off.
    """
    if w["diversity"] <= 0:
        return np.zeros((len(preds.frame_indices), 0)), None
    emb, extra = embed(preds, threshold, labeled_features)
    centres = [emb[np.isin(preds.frame_indices, list(excluded))]]
    if extra is not None:
        centres.append(extra)
    c = np.concatenate(centres)
    if len(c) == 0:
        return emb, np.full(len(cand), np.inf)
    d2 = (emb[cand] ** 2).sum(1)[:, None] - 2 * emb[cand] @ c.T + (c**2).sum(1)[None, :]
    return emb, np.sqrt(np.maximum(d2.min(axis=1), 0.0))


def _reasons(
    preds: VideoPredictions,
    row: int,
    sub: dict[str, float],
    raw: dict[str, np.ndarray],
    size: float,
    threshold: float,
    has_labels: bool,
    n_picked: int,
) -> list[str]:
    """Short sentences for why frame ``row`` was picked, strongest sub-score first."""
    points, scores, tracks = _with_instances(preds)
    names = preds.node_names or [f"node {k}" for k in range(scores.shape[-1])]
    found: list[tuple[float, str]] = []
    who, s = _worst_instance(preds, row, points[row], scores[row], threshold)
    low = [k for k in np.argsort(s) if s[k] < threshold][:2]
    for k in low:
        found.append(
            (sub.get("uncertainty", 0.5) + 0.01, f"low confidence on {names[k]}{who} ({s[k]:.2f})")
        )
    if not low and sub.get("uncertainty", 0) >= 0.8:
        found.append((sub["uncertainty"], f"low average confidence ({float(s.mean()):.2f})"))
    if sub.get("disagreement", 0) >= 0.7 and raw["disagreement"][row] >= 0.02:
        found.append(
            (
                sub["disagreement"],
                f"flipped/rotated views disagree by {raw['disagreement'][row]:.2f} body lengths",
            )
        )
    if sub.get("temporal", 0) >= 0.7:
        prev, nxt = frame_jumps(preds.points, preds.frame_indices, size, tracks)
        jp, jn = prev[row], nxt[row]
        if np.isfinite(jp) and jp >= 0.25 and not (np.isfinite(jn) and jn > jp):
            found.append((sub["temporal"], f"jump of {jp:.1f} body lengths from previous frame"))
        elif np.isfinite(jn) and jn >= 0.25:
            found.append((sub["temporal"], f"jump of {jn:.1f} body lengths to next frame"))
    if sub.get("instance_count", 0) >= 0.7 and raw["instance_count"][row] > 0:
        found.append((sub["instance_count"], _count_reason(preds, row, threshold)))
    if sub.get("diversity", 0) >= 0.5:
        text = (
            "far from frames already labeled"
            if has_labels
            else "unlike the other suggestions"
            if n_picked
            else "representative of the video"
        )
        found.append((sub["diversity"], text))
    if not found:
        best = max(sub, key=lambda k: sub[k]) if sub else "score"
        found.append((0.0, f"highest combined score (mostly {best})"))
    return [text for _, text in sorted(found, key=lambda t: -t[0])]


def _worst_instance(
    preds: VideoPredictions, row: int, points: np.ndarray, scores: np.ndarray, threshold: float
) -> tuple[str, np.ndarray]:
    """The most uncertain found instance of a frame: ``(" of <name>" or "", scores (K,))``.

    One instance slot names no animal, as before the instance axis."""
    if len(scores) == 1:
        return "", scores[0]
    present = np.flatnonzero(np.isfinite(points).all(axis=-1).any(axis=-1))
    if len(present) == 0:
        return "", scores[0]
    worst = int(present[np.argmax(instance_uncertainty(scores[present][None], threshold)[0])])
    return f" of {_animal_name(preds, row, worst)}", scores[worst]


def _animal_name(preds: VideoPredictions, row: int, slot: int) -> str:
    track_ids = getattr(preds, "track_ids", None)
    names = list(getattr(preds, "track_names", []) or [])
    t = int(track_ids[row][slot]) if track_ids is not None else -1
    return names[t] if 0 <= t < len(names) else f"animal {slot + 1}"


def _count_reason(preds: VideoPredictions, row: int, threshold: float) -> str:
    points, scores, _ = _with_instances(preds)
    n = instances_found(points[row][None], scores[row][None], threshold)[0].sum()
    animals = f"{n} animal{'s' if n != 1 else ''} found"
    fi = preds.frame_indices
    for other, where in ((row - 1, "previous"), (row + 1, "next")):
        if 0 <= other < len(fi) and abs(int(fi[other]) - int(fi[row])) == 1:
            m = instances_found(points[other][None], scores[other][None], threshold)[0].sum()
            if m != n:
                return f"{animals}, {m} in the {where} frame"
    return f"{animals}, fewer or more than expected"


def tta_predictions(
    model: ModelArtifact | TopDownModel,
    frames: np.ndarray,
    *,
    symmetries: Sequence[tuple[int, int]] | None = None,
    angles_deg: Sequence[float] = (-15.0, 15.0),
    scales: Sequence[float] = (0.9, 1.1),
    flip: bool = True,
    batch_size: int = 16,
    size: float | None = None,
) -> TTAResult:
    """Predict frames under small augmentations and measure how much the answers move.

    Rotations and zooms are about the animal's anchor (from the identity
    pass), so the animal stays in the frame; the flip mirrors the whole frame
    and swaps symmetric nodes back.

    Args:
        model: an artifact (its symmetries are used) or a built module.
        frames: ``(N, H, W, 3)`` uint8 RGB.
        symmetries: left/right node pairs (default: the artifact's, else none).
        angles_deg: rotation variants, degrees.
        scales: zoom variants.
        flip: include the horizontal flip.
        batch_size: frames per forward pass.
        size: body size in px (default: :func:`animal_size` of the identity pass).

    Returns:
        The per-variant predictions and spreads.
    """
    if isinstance(model, ModelArtifact):
        symmetries = model.symmetries if symmetries is None else symmetries
        model = model.build_module()
    module = model.eval()
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be (N, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    k = module.geometry.num_nodes
    perm = flip_permutation(k, symmetries or [])
    n, h, w = frames.shape[:3]
    with torch.inference_mode():
        points, scores, anchors = _run(module, torch.from_numpy(frames), batch_size)
        out_p, out_s, names = [points], [scores], ["identity"]
        if anchors.ndim == 3:  # several animals: turn and zoom about the most confident one
            anchors = torch.nan_to_num(anchors[:, 0], nan=0.0)
        if flip:
            p, s, _ = _run(module, torch.from_numpy(frames[:, :, ::-1].copy()), batch_size)
            p = p[..., perm, :]
            p[..., 0] = (w - 1) - p[..., 0]
            out_p.append(p)
            out_s.append(s[..., perm])
            names.append("flip")
        images = torch.from_numpy(frames).permute(0, 3, 1, 2).float()
        variants = [(math.radians(a), 1.0, f"rotate {a:+g}") for a in angles_deg]
        variants += [(0.0, float(z), f"scale {z:g}") for z in scales]
        for angle, zoom, name in variants:
            m = affine_matrix(
                anchors,
                anchors,
                torch.full((n,), zoom),
                torch.full((n,), angle),
                torch.zeros(n, dtype=torch.bool),
            )
            warped = warp_images(images, m, h, w).round().clamp(0, 255).to(torch.uint8)
            p, s, _ = _run(module, warped.permute(0, 2, 3, 1).contiguous(), batch_size)
            back = transform_points(p.reshape(n, -1, 2), torch.linalg.inv(m)).reshape(p.shape)
            out_p.append(back)
            out_s.append(s)
            names.append(name)
    pts = torch.stack(out_p).numpy().astype(np.float32)  # (V, N, K, 2) or (V, N, I, K, 2)
    scs = torch.stack(out_s).numpy().astype(np.float32)
    if pts.ndim == 5:
        return _tta_instances(names, pts, scs, size)
    median = np.median(pts, axis=0)
    node_spread = np.linalg.norm(pts - median[None], axis=-1).mean(axis=0)  # (N, K)
    body = size or animal_size(pts[0], scs[0])
    return TTAResult(names, pts, scs, node_spread, node_spread.mean(axis=1) / body)


def _tta_instances(
    names: list[str], pts: np.ndarray, scs: np.ndarray, size: float | None
) -> TTAResult:
    """TTA spread with several animals: each variant's instances are matched to the
    identity pass's (Hungarian on mean node distance), the spread is measured per
    instance, and a frame's spread is that of its least stable animal."""
    v, n, i = pts.shape[:3]
    for var in range(1, v):
        for row in range(n):
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                d = np.nanmean(np.linalg.norm(
                    pts[0, row][:, None] - pts[var, row][None], axis=-1), axis=-1)  # fmt: skip
            _, cols = linear_sum_assignment(np.where(np.isfinite(d), d, 1e12))
            pts[var, row], scs[var, row] = pts[var, row][cols], scs[var, row][cols]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # padding slots: NaN, ignored
        median = np.nanmedian(pts, axis=0)
        node_spread = np.nanmean(np.linalg.norm(pts - median[None], axis=-1), axis=0)  # (N, I, K)
        body = size or animal_size(pts[0], scs[0])
        per_instance = np.nanmean(node_spread, axis=-1) / body  # (N, I)
    spread = np.nan_to_num(_nanmax_rows(per_instance), nan=0.0)
    return TTAResult(names, pts, scs, node_spread, spread)


def _run(
    module: TopDownModel, frames: torch.Tensor, batch_size: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Batched forward: ``(N, H, W, 3)`` uint8 -> points, scores, anchors (float32).

    A model with an instance axis (points, scores, instance scores, anchors) and
    one slot gives ``(N, K, 2)`` points as a single-animal model does."""
    outs = [module(frames[i : i + batch_size]) for i in range(0, len(frames), batch_size)]
    points, scores, anchors = (torch.cat([o[j].float() for o in outs]) for j in (0, 1, -1))
    if points.ndim == 4 and points.shape[1] == 1:
        points, scores, anchors = points[:, 0], scores[:, 0], anchors.reshape(len(anchors), 2)
    return points, scores, anchors
