"""What a proofreader needs to see of the tracks of a video, as pure numpy.

:func:`timeline` gives one row per track: the stretches of frames where it is
seen (gaps between them) and the stretches where its animal was found with a low
confidence. :func:`suspicious` lists the spots worth a look, sorted by frame:

- ``spawn`` / ``end``: a track starts or stops (not at the video's first or last
  predicted frame);
- ``jump``: a track's centroid moves more than ``jump`` animal sizes per frame;
- ``swap_candidate``: two tracks come closer than ``near`` animal sizes and
  separate again (one spot per close encounter, where they are nearest), the
  classic place for identities to switch;
- ``identity``: an identity model's scores (when the file has them) prefer
  another track than the one assigned.

Segments are ``[start, stop)`` in video frame indices; with predictions on
every frame, a gap is a frame where the track was not seen.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

LOW_SCORE = 0.3
JUMP = 1.0  # animal sizes per frame
NEAR = 0.5  # animal sizes between two centroids


def confidence(scores: np.ndarray, instance_scores: np.ndarray) -> np.ndarray:
    """``(F, I)`` instance score, or the mean node score where the model gives none."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # padding: all-NaN rows
        mean = np.nanmean(scores, axis=-1)
    return np.where(np.isfinite(instance_scores), instance_scores, mean)


def segments(frames: np.ndarray, mask: np.ndarray) -> list[list[int]]:
    """``[start, stop)`` frame ranges of the runs of consecutive rows where ``mask (F,)``."""
    rows = np.flatnonzero(mask)
    if not len(rows):
        return []
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    return [[int(frames[run[0]]), int(frames[run[-1]]) + 1] for run in np.split(rows, breaks)]


def timeline(
    track_ids: np.ndarray,
    scores: np.ndarray,
    frame_indices: np.ndarray,
    track_names: Sequence[str],
    *,
    low_score: float = LOW_SCORE,
) -> list[dict[str, Any]]:
    """Per track ``{track, frames, mean_score, segments, low_confidence}``.

    Args:
        track_ids: ``(F, I)`` index into ``track_names``, -1 for none.
        scores: ``(F, I)`` instance confidences (see :func:`confidence`).
        frame_indices: ``(F,)`` video frame of each row.
        track_names: the identities.
        low_score: below this an instance is low-confidence.
    """
    out = []
    for t, name in enumerate(track_names):
        cells = track_ids == t
        seen = cells.any(1)
        score = np.where(cells, scores, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            row_score = np.nanmax(score, axis=1)
            mean = float(np.nanmean(row_score)) if seen.any() else float("nan")
        out.append({
            "track": name,
            "frames": int(seen.sum()),
            "mean_score": round(mean, 4) if np.isfinite(mean) else None,
            "segments": segments(frame_indices, seen),
            "low_confidence": segments(frame_indices, seen & (row_score < low_score)),
        })  # fmt: skip
    return out


def suspicious(
    points: np.ndarray,
    track_ids: np.ndarray,
    frame_indices: np.ndarray,
    track_names: Sequence[str],
    *,
    jump: float = JUMP,
    near: float = NEAR,
    identity_scores: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Sorted ``{frame, kind, tracks}`` spots to check (see the module docstring).

    Args:
        points: ``(F, I, K, 2)`` NaN-padded poses.
        track_ids: ``(F, I)`` index into ``track_names``, -1 for none.
        frame_indices: ``(F,)`` video frame of each row.
        track_names: the identities.
        jump: centroid speed, in animal sizes per frame, that counts as a jump.
        near: centroid distance, in animal sizes, that counts as close.
        identity_scores: ``(F, I, T)`` per-instance scores of each track, or None.
    """
    if not len(frame_indices):
        return []
    centres, sizes = _per_track(points, track_ids, len(track_names))  # (T, F, 2), (T,)
    events: list[dict[str, Any]] = []
    first, last = int(frame_indices[0]), int(frame_indices[-1])
    for t, name in enumerate(track_names):
        for start, stop in segments(frame_indices, (track_ids == t).any(1)):
            if start != first:
                events.append({"frame": start, "kind": "spawn", "tracks": [name]})
            if stop - 1 != last:
                events.append({"frame": stop - 1, "kind": "end", "tracks": [name]})
        events += _jumps(centres[t], sizes[t], frame_indices, name, jump)
    for a in range(len(track_names)):
        for b in range(a + 1, len(track_names)):
            size = max(sizes[a], sizes[b])
            events += _encounters(centres[a], centres[b], size * near, frame_indices,
                                  [track_names[a], track_names[b]])  # fmt: skip
    if identity_scores is not None:
        events += _identity(identity_scores, track_ids, frame_indices, track_names)
    return sorted(events, key=lambda e: (e["frame"], e["kind"], e["tracks"]))


def next_spot(events: Sequence[dict[str, Any]], after: int) -> dict[str, Any] | None:
    """The first event after frame ``after`` (events sorted by frame), or None."""
    frames = [e["frame"] for e in events]
    i = int(np.searchsorted(frames, after, side="right"))
    return events[i] if i < len(events) else None


def _per_track(points: np.ndarray, ids: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each track's centroid per row (NaN where unseen) and its median box diagonal."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = np.nanmean(points, axis=2)  # (F, I, 2)
        diag = np.linalg.norm(np.nanmax(points, axis=2) - np.nanmin(points, axis=2), axis=-1)
    centres = np.full((n, len(ids), 2), np.nan)
    sizes = np.ones(n)
    for t in range(n):
        rows, cols = np.nonzero(ids == t)
        centres[t, rows] = centre[rows, cols]
        d = diag[rows, cols]
        d = d[np.isfinite(d) & (d > 0)]
        sizes[t] = float(np.median(d)) if len(d) else 1.0
    return centres, sizes


def _jumps(centre: np.ndarray, size: float, frames: np.ndarray, name: str, jump: float) -> list:
    rows = np.flatnonzero(np.isfinite(centre).all(-1))
    if len(rows) < 2:
        return []
    step = np.linalg.norm(np.diff(centre[rows], axis=0), axis=-1)
    gap = np.diff(frames[rows]).astype(np.float64)
    fast = np.flatnonzero(step / gap > jump * size) + 1
    return [{"frame": int(frames[rows[i]]), "kind": "jump", "tracks": [name]} for i in fast]


def _encounters(a: np.ndarray, b: np.ndarray, close: float, frames: np.ndarray,
                names: list[str]) -> list:  # fmt: skip
    distance = np.linalg.norm(a - b, axis=-1)  # NaN where either is unseen
    with np.errstate(invalid="ignore"):
        near = distance < close
    out = []
    for start, stop in segments(np.arange(len(frames)), near):
        nearest = start + int(np.argmin(distance[start:stop]))
        out.append({"frame": int(frames[nearest]), "kind": "swap_candidate", "tracks": names})
    return out


def _identity(scores: np.ndarray, ids: np.ndarray, frames: np.ndarray,
              names: Sequence[str]) -> list:  # fmt: skip
    """One event per run of rows where a track's instance scores best as another track."""
    out = []
    best = np.argmax(np.nan_to_num(scores, nan=-np.inf), axis=-1)  # (F, I)
    for t, name in enumerate(names):
        cells = (ids == t) & (best != t) & (best < len(names))
        for start, _ in segments(np.arange(len(frames)), cells.any(1)):
            other = names[int(best[start][cells[start]][0])]
            out.append({"frame": int(frames[start]), "kind": "identity", "tracks": [name, other]})
    return out
