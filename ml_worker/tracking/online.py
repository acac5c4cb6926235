"""The online pass: link each frame's instances to the tracks of the frames before it.

For every frame, in order:

1. the candidates are the instances with at least ``min_points`` found nodes
   and an instance score of at least ``min_instance_score`` (NaN scores pass:
   labels have none); with ``max_tracks`` set only the best ``max_tracks`` of
   them, by instance score, so spurious extra detections never start tracks;
2. the tracks are those seen within the last ``window`` frames, each at the
   pose its motion model expects now (:mod:`ml_worker.tracking.motion`);
3. tracks and candidates are paired with the Hungarian algorithm
   (:func:`scipy.optimize.linear_sum_assignment`) on the configured
   similarity, pairs below ``min_similarity`` dropped;
4. paired tracks take their instance; every other candidate starts a new track;
5. a pair is *ambiguous* when a track that found no instance is nearly as
   similar to the instance (``ambiguity_ratio``): both tracks end there and
   the instance starts a new one, so a hidden animal's identity is not handed
   to its neighbour inside a tracklet; the stitching pass decides.

The result is tracklets: ids that are right within a run but may break where an
animal was lost for longer than the window. :func:`ml_worker.tracking.stitch`
joins them when the number of animals is known.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from ml_worker.tracking.config import TrackerConfig
from ml_worker.tracking.motion import TrackState
from ml_worker.tracking.similarity import SIMILARITIES


def candidates(points: np.ndarray, instance_scores: np.ndarray | None,
               cfg: TrackerConfig) -> np.ndarray:
    """``(F, I)`` bool: the instances the tracker links (see the module docstring)."""
    found = np.isfinite(points).all(-1).sum(-1)  # (F, I)
    ok = found >= cfg.min_points
    score = (found.astype(np.float64) if instance_scores is None
             else np.asarray(instance_scores, np.float64))
    ok &= ~(score < cfg.min_instance_score)  # NaN passes
    if cfg.max_tracks is not None and points.shape[1] > cfg.max_tracks:
        # Best first, NaN scores ranked by how many nodes were found.
        rank_key = np.where(np.isnan(score), found, score)
        rank_key = np.where(ok, rank_key, -np.inf)
        order = np.argsort(-rank_key, axis=1, kind="stable")
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, np.arange(points.shape[1])[None], axis=1)
        ok &= ranks < cfg.max_tracks
    return ok


def link(points: np.ndarray, instance_scores: np.ndarray | None, cfg: TrackerConfig,
         frame_indices: np.ndarray | None = None) -> np.ndarray:
    """Online tracking: tracklet ids for every instance.

    Args:
        points: ``(F, I, K, 2)`` NaN-padded poses.
        instance_scores: ``(F, I)`` or None.
        cfg: tracker settings.
        frame_indices: ``(F,)`` video frame of each row (gaps count as frames
            for the window and motion); default ``0..F-1``.

    Returns:
        ``(F, I)`` int32 tracklet ids ``0..`` in order of appearance, -1 untracked.
    """
    points = np.asarray(points, np.float64)
    n_frames = points.shape[0]
    frames = np.arange(n_frames) if frame_indices is None else np.asarray(frame_indices)
    ok = candidates(points, instance_scores, cfg)
    similarity = SIMILARITIES[cfg.similarity]
    ids = np.full(points.shape[:2], -1, np.int32)
    tracks: list[TrackState] = []
    track_ids: list[int] = []
    next_id = 0
    for row in range(n_frames):
        frame = int(frames[row])
        live = [i for i, t in enumerate(tracks) if frame - t.last_frame <= cfg.window]
        tracks = [tracks[i] for i in live]
        track_ids = [track_ids[i] for i in live]
        cols = np.flatnonzero(ok[row])
        if not len(cols):
            continue
        cands = points[row, cols]
        taken = np.zeros(len(cols), bool)
        if tracks:
            expected = np.stack([t.expected(frame, cfg) for t in tracks])
            sim = similarity(expected, cands, cfg.oks_sigma)
            rows_t, rows_c = linear_sum_assignment(sim, maximize=True)
            pairs = [(t, c) for t, c in zip(rows_t.tolist(), rows_c.tolist(), strict=True)
                     if sim[t, c] >= cfg.min_similarity and sim[t, c] > 0]
            ended = _ambiguous(sim, pairs, cfg.ambiguity_ratio)
            for t, c in pairs:
                if t not in ended:
                    tracks[t].update(cands[c], frame, cfg)
                    ids[row, cols[c]] = track_ids[t]
                    taken[c] = True
            if ended:
                keep = [i for i in range(len(tracks)) if i not in ended]
                tracks = [tracks[i] for i in keep]
                track_ids = [track_ids[i] for i in keep]
        for c in np.flatnonzero(~taken).tolist():
            tracks.append(TrackState(cands[c], frame))
            track_ids.append(next_id)
            ids[row, cols[c]] = next_id
            next_id += 1
    return ids


def _ambiguous(sim: np.ndarray, pairs: list[tuple[int, int]], ratio: float | None) -> set[int]:
    """Tracks to end because their instance may as well belong to a track that found none.

    When an animal is hidden and its track goes unmatched, the animal next to it
    can look almost as much like the hidden one's track as like its own; taking
    it would switch identities silently. Both tracks end instead (the instance
    starts a new tracklet) and :func:`ml_worker.tracking.stitch` decides later,
    with the motion on both sides of the gap.
    """
    if ratio is None or not pairs:
        return set()
    matched = {t for t, _ in pairs}
    idle = [t for t in range(sim.shape[0]) if t not in matched]
    ended: set[int] = set()
    for t, c in pairs:
        rivals = [r for r in idle if sim[r, c] >= ratio * sim[t, c]]
        if rivals:
            ended.add(t)
            ended.update(rivals)
    return ended
