"""Per-frame sub-scores that fix tracking, for active learning (numpy only).

A tracked run's worst errors are identity switches; these scores find the frames
where labeling fixes them, and :mod:`ml_worker.active_learning` ranks those first:

- ``swap_candidate``: 1 on the frame where two tracks come nearest while close, and
  separate again (the event :func:`ml_worker.tracking.timeline.suspicious` shows
  proofreaders), the classic place for identities to switch; else 0;
- ``identity_disagreement`` (when the predictions carry an identity model's
  ``identity_scores (F, I, T)``): for the worst tracked animal, ``(1 - margin) / 2``
  where ``margin`` is its assigned track's probability minus the best other track's,
  counted only where another track wins or ``margin`` is below ``IDENTITY_MARGIN``;
  else 0.

Both are already in [0, 1] and 0 means "nothing to fix": they are mixed as they are,
not ranked. :func:`identity_reasons` says why a frame was picked, in words.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from ml_worker.tracking.timeline import suspicious

if TYPE_CHECKING:  # only for annotations: this module needs no torch
    from ml_worker.infer import VideoPredictions

IDENTITY_SUBSCORES = ("swap_candidate", "identity_disagreement")
# Below this lead of the assigned track over the next best, an identity counts as uncertain.
IDENTITY_MARGIN = 0.2


def swap_candidate_scores(
    points: np.ndarray, track_ids: np.ndarray, frame_indices: np.ndarray, num_tracks: int
) -> np.ndarray:
    """``(F,)`` 1 on each frame where two tracks come nearest during a close encounter.

    Args:
        points: ``(F, I, K, 2)`` NaN-padded poses.
        track_ids: ``(F, I)`` track index, -1 for none.
        frame_indices: ``(F,)`` sorted video frame of each row.
        num_tracks: number of tracks (track ids are ``0 .. num_tracks - 1``).
    """
    out = np.zeros(len(frame_indices))
    names = [str(t) for t in range(num_tracks)]
    for event in suspicious(points, track_ids, frame_indices, names):
        if event["kind"] == "swap_candidate":
            out[int(np.searchsorted(frame_indices, event["frame"]))] = 1.0
    return out


def identity_margins(identity_scores: np.ndarray, track_ids: np.ndarray) -> np.ndarray:
    """``(F, I)`` assigned track's identity probability minus the best other track's.

    Args:
        identity_scores: ``(F, I, T)`` per-instance probability of each identity
            (identity ``t`` is track ``t``).
        track_ids: ``(F, I)`` track index, -1 for none.

    Returns:
        ``(F, I)`` in [-1, 1]; negative where another track wins; NaN for untracked
        instances, tracks without an identity, or fewer than two identities.
    """
    p = np.nan_to_num(np.asarray(identity_scores, np.float64), nan=0.0)
    ids = np.asarray(track_ids)
    f, i, t = p.shape
    if t < 2:
        return np.full((f, i), np.nan)
    valid = (ids >= 0) & (ids < t)
    assigned = np.take_along_axis(p, np.where(valid, ids, 0)[..., None], axis=-1)[..., 0]
    others = np.where(np.arange(t) == np.where(valid, ids, -1)[..., None], -np.inf, p)
    return np.where(valid, assigned - others.max(axis=-1), np.nan)


def identity_disagreement_scores(
    identity_scores: np.ndarray, track_ids: np.ndarray, margin: float = IDENTITY_MARGIN
) -> np.ndarray:
    """``(F,)`` ``(1 - m) / 2`` for the animal with the smallest margin ``m``
    (:func:`identity_margins`) where ``m < margin``; 0 where every identity is clear."""
    m = identity_margins(identity_scores, track_ids)
    with np.errstate(invalid="ignore"):
        flagged = np.isfinite(m) & (m < margin)
    per = np.where(flagged, (1.0 - np.where(flagged, m, 1.0)) / 2.0, 0.0)
    return per.max(axis=1) if per.size else np.zeros(len(m))


def track_identity_scores(preds: VideoPredictions) -> np.ndarray | None:
    """``preds.identity_scores (F, I, T)`` with column ``t`` for track ``t``, or None.

    Columns are matched by name: the identity tracker names each track after its
    identity. None when some track is not an identity (tracked without the identity
    model, or renamed since): its identity is unknown, not wrong. Without
    ``identity_names``, identity ``t`` is track ``t``.
    """
    scores = getattr(preds, "identity_scores", None)
    if scores is None:
        return None
    scores = np.asarray(scores)
    names = list(getattr(preds, "identity_names", []) or [])
    tracks = list(getattr(preds, "track_names", []) or [])
    if not names:
        return scores
    if not tracks or not all(t in names for t in tracks):
        return None
    return scores[..., [names.index(t) for t in tracks]]


def identity_subscores(
    preds: VideoPredictions,
    points: np.ndarray,
    tracks: np.ndarray | None,
    identity_scores: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """``{"swap_candidate", "identity_disagreement"}``, each ``(F,)``, those that flag
    at least one frame (none without tracks).

    Args:
        preds: the predictions (``track_names``, ``frame_indices``, maybe ``identity_scores``).
        points: ``(F, I, K, 2)``; tracks: ``(F, I)`` or None.
        identity_scores: ``(F, I, T)`` in track order, or None for :func:`track_identity_scores`.
    """
    if tracks is None or not (np.asarray(tracks) >= 0).any():
        return {}
    out = {}
    num_tracks = max(len(getattr(preds, "track_names", []) or []), int(np.max(tracks)) + 1)
    if num_tracks > 1:
        out["swap_candidate"] = swap_candidate_scores(
            points, tracks, preds.frame_indices, num_tracks
        )
    if identity_scores is None:
        identity_scores = track_identity_scores(preds)
    if identity_scores is not None:
        ids = np.asarray(identity_scores)
        if ids.shape[:2] != points.shape[:2]:
            raise ValueError(f"identity_scores must be {points.shape[:2]} + (T,), got {ids.shape}")
        out["identity_disagreement"] = identity_disagreement_scores(ids, tracks)
    return {k: v for k, v in out.items() if v.any()}


def identity_reasons(
    preds: VideoPredictions,
    points: np.ndarray,
    row: int,
    sub: dict[str, float],
    identity_scores: np.ndarray | None,
) -> list[str]:
    """Sentences for the tracking sub-scores of frame ``row`` that are above 0 in ``sub``.

    Args:
        preds: the predictions (``track_ids``, ``track_names``).
        points: ``(F, I, K, 2)``.
        row: the frame's row.
        sub: its sub-scores.
        identity_scores: ``(F, I, T)`` in track order, or None.
    """
    found = []
    if sub.get("swap_candidate", 0) > 0:
        a, b = _nearest_pair(preds, points, row)
        found.append(f"{a} and {b} come close and separate: identities may switch here")
    if sub.get("identity_disagreement", 0) > 0 and identity_scores is not None:
        found.append(_identity_reason(preds, row, np.asarray(identity_scores)[row]))
    return found


def _nearest_pair(preds: VideoPredictions, points: np.ndarray, row: int) -> tuple[str, str]:
    """Names of the two animals of frame ``row`` whose centroids are nearest."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # padding slots: all NaN
        centre = np.nanmean(points[row].astype(np.float64), axis=1)  # (I, 2)
    d = np.linalg.norm(centre[:, None] - centre[None], axis=-1)
    d[~np.isfinite(d) | np.eye(len(d), dtype=bool)] = np.inf
    a, b = sorted(np.unravel_index(int(np.argmin(d)), d.shape))
    return animal_name(preds, row, int(a)), animal_name(preds, row, int(b))


def _identity_reason(preds: VideoPredictions, row: int, ids: np.ndarray) -> str:
    """Which animal's identity is in doubt on frame ``row`` (``ids (I, T)``), and what
    the model says."""
    tracks = np.asarray(preds.track_ids)[row]
    margins = identity_margins(ids[None], tracks[None])[0]
    slot = int(np.nanargmin(margins))
    p = np.nan_to_num(ids[slot].astype(np.float64))
    t, best = int(tracks[slot]), int(np.argmax(p))
    names = list(getattr(preds, "track_names", []) or [])
    name = animal_name(preds, row, slot)
    if best != t:
        other = names[best] if best < len(names) else f"identity {best}"
        return f"identity model says {other} for the animal tracked as {name} ({p[best]:.2f} vs {p[t]:.2f})"
    return f"identity of {name} is uncertain ({p[t]:.2f}, next {np.sort(p)[-2]:.2f})"


def animal_name(preds: VideoPredictions, row: int, slot: int) -> str:
    """The track name of instance ``slot`` on frame ``row``, else ``animal <slot + 1>``."""
    track_ids = getattr(preds, "track_ids", None)
    names = list(getattr(preds, "track_names", []) or [])
    t = int(track_ids[row][slot]) if track_ids is not None else -1
    return names[t] if 0 <= t < len(names) else f"animal {slot + 1}"
