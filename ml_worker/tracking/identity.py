"""Tracks named by a model's identities: appearance decides who, motion smooths it.

A model trained with identities (:mod:`ml_worker.identity`) gives every
instance of every frame a probability for each named animal, ``(F, I, T)``.
Alone, one frame's guess can be wrong (a blurred or half-hidden animal); motion
alone swaps animals that meet and part. Flow of :func:`name_tracks`:

1. the online pass (:func:`ml_worker.tracking.online.link`) has already cut
   the instances into motion tracklets (ended where two animals were too close
   to tell apart by motion);
2. each instance's identity log-probabilities are averaged over the frames
   within ``identity_window`` of it *along its tracklet*, so a confident run of
   frames outvotes a single bad one, and evidence never crosses a point where
   motion lost the animal;
3. per frame, the Hungarian algorithm gives the instances distinct identities,
   maximising the summed smoothed log-probability; the track id is the identity
   index, so ``track_names`` are the identity names.

Pure numpy + scipy, like the rest of :mod:`ml_worker.tracking`.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

# probabilities are clipped here before the log (an exact 0 would veto an identity)
MIN_PROBABILITY = 1e-6


def log_probabilities(identity_scores: np.ndarray) -> np.ndarray:
    """``log`` of ``(..., T)`` probabilities, NaN read as 0, clipped to ``MIN_PROBABILITY``."""
    p = np.nan_to_num(np.asarray(identity_scores, np.float64))
    return np.log(np.clip(p, MIN_PROBABILITY, 1.0))


def assign_identities(log_p: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Per frame, distinct identities for the present instances (Hungarian, maximising
    the summed log-probability; surplus instances get none).

    Args:
        log_p: ``(F, I, T)`` log-probabilities (or any score, higher = likelier).
        present: ``(F, I)`` bool, the instances to name.

    Returns:
        ``(F, I)`` int32 identity index, -1 for absent or surplus instances.
    """
    out = np.full(present.shape, -1, np.int32)
    for f in np.flatnonzero(present.any(1)).tolist():
        cols = np.flatnonzero(present[f])
        rows, ids = linear_sum_assignment(log_p[f, cols], maximize=True)
        out[f, cols[rows]] = ids
    return out


def smooth_along_tracklets(log_p: np.ndarray, tracklets: np.ndarray,
                           frame_indices: np.ndarray, window: int) -> np.ndarray:
    """Mean of ``log_p`` over each instance's tracklet within ``window`` frames of it.

    Args:
        log_p: ``(F, I, T)``.
        tracklets: ``(F, I)`` int tracklet ids, -1 untracked (left as they are).
        frame_indices: ``(F,)`` video frame of each row (sorted).
        window: frames on each side (0: no smoothing).

    Returns:
        ``(F, I, T)`` float64.
    """
    out = np.array(log_p, np.float64)
    rows, cols = np.nonzero(tracklets >= 0)
    if window <= 0 or not len(rows):
        return out
    frames = np.asarray(frame_indices, np.int64)[rows]
    tid = tracklets[rows, cols].astype(np.int64)
    order = np.lexsort((frames, tid))
    rows, cols, frames, tid = rows[order], cols[order], frames[order], tid[order]
    # one sorted key per instance: tracklets far enough apart that no window spans two
    span = int(frames.max() - frames.min()) + window + 1
    key = tid * span + (frames - frames.min())
    lo = np.searchsorted(key, key - window, side="left")
    hi = np.searchsorted(key, key + window, side="right")
    values = out[rows, cols]
    cumulative = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    out[rows, cols] = (cumulative[hi] - cumulative[lo]) / (hi - lo)[:, None]
    return out


def name_tracks(tracklets: np.ndarray, identity_scores: np.ndarray,
                frame_indices: np.ndarray | None = None, *, window: int = 5) -> np.ndarray:
    """Track ids that are identity indices (see the module docstring).

    Args:
        tracklets: ``(F, I)`` ids of the online pass, -1 for instances not tracked.
        identity_scores: ``(F, I, T)`` the model's identity probabilities.
        frame_indices: ``(F,)`` video frame of each row; default ``0..F-1``.
        window: frames on each side whose evidence is averaged along a tracklet.

    Returns:
        ``(F, I)`` int32: identity ``t`` of the model for tracked instances, -1 else.
    """
    frames = np.arange(len(tracklets)) if frame_indices is None else frame_indices
    smoothed = smooth_along_tracklets(log_probabilities(identity_scores), tracklets, frames,
                                      window)
    return assign_identities(smoothed, tracklets >= 0)
