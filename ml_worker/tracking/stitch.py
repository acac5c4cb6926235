"""The post-pass: join tracklets into as many identities as the project has animals.

Given the online pass's tracklet ids and ``max_tracks = N``:

1. **Capacity.** No frame can show more than N animals, counting a tracklet
   as present from its first to its last frame (gaps included). Tracklets are
   taken longest first; one that would make a frame exceed N loses its
   instances in the full frames and splits into the runs around them, which go
   back in the queue. The instances dropped this way are spurious detections
   (or doubles) and end up untracked (-1).
2. **Linking.** Identities are chains of tracklets, each starting after the
   previous one ended. The cheapest set of chains is one assignment problem
   (Hungarian, the classic tracklet-linking construction of Huang et al.,
   ECCV 2008): every tracklet picks a successor or "end", every tracklet a
   predecessor or "start". Starting a chain costs more than any sum of links,
   so the solution has as few chains as the capacity allows (at most N, and
   exactly N when the N animals are all seen at once somewhere), and among
   those the links with the smallest cost. A link ``a -> b`` costs the mean
   node distance between ``a`` extrapolated forward and ``b``'s first pose,
   and ``b`` extrapolated backward and ``a``'s last pose, in animal sizes.
   Tracklets shorter than ``min_length`` are left out of this: forced into
   chains, a flicker of a few frames (often a spurious detection) bends
   the links around it. Each then joins the chain with a gap where it fits
   best, when that is close enough (``SHORT_MAX_COST``), else stays untracked.
3. Chains are numbered by their first frame.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from ml_worker.tracking.similarity import box_areas

MAX_LINK_COST = 100.0
SHORT_MAX_COST = 1.0  # animal sizes: a short tracklet further from every identity stays untracked
VELOCITY_SPAN = 5  # rows over which a tracklet's end velocity is measured


@dataclass
class Tracklet:
    """One tracklet's instances, as (row, column) pairs in row order."""

    rows: np.ndarray
    cols: np.ndarray

    @property
    def start(self) -> int:
        return int(self.rows[0])

    @property
    def end(self) -> int:
        return int(self.rows[-1])


def tracklets(ids: np.ndarray) -> list[Tracklet]:
    """The tracklets of an ``(F, I)`` id array (ids >= 0), in order of first row."""
    rows, cols = np.nonzero(ids >= 0)
    order = np.lexsort((rows, ids[rows, cols]))
    rows, cols, keys = rows[order], cols[order], ids[rows[order], cols[order]]
    cuts = np.flatnonzero(np.diff(keys)) + 1
    out = [Tracklet(r, c) for r, c in zip(np.split(rows, cuts), np.split(cols, cuts), strict=True)
           if len(r)]
    return sorted(out, key=lambda t: (t.start, t.end))


def stitch(points: np.ndarray, ids: np.ndarray, max_tracks: int, *,
           frame_indices: np.ndarray | None = None, max_extrapolation: int = 10,
           min_length: int = 3) -> np.ndarray:
    """Join tracklets into at most ``max_tracks`` identities.

    Args:
        points: ``(F, I, K, 2)`` NaN-padded poses.
        ids: ``(F, I)`` tracklet ids from the online pass (-1: untracked).
        max_tracks: how many animals there are.
        frame_indices: ``(F,)`` video frame of each row; default ``0..F-1``.
        max_extrapolation: frames of motion extrapolated at most across a gap.
        min_length: tracklets with fewer instances are not linked; each joins the
            identity whose gap it fits best, if it is within ``SHORT_MAX_COST``.

    Returns:
        ``(F, I)`` int32 identities ``0..max_tracks-1`` by first appearance, -1 untracked.
    """
    points = np.asarray(points, np.float64)
    frames = np.arange(len(ids)) if frame_indices is None else np.asarray(frame_indices)
    kept = fit_capacity(tracklets(ids), max_tracks, len(ids))
    long = [t for t in kept if len(t.rows) >= min_length]
    chains = link_chains(points, long, frames, max_extrapolation)
    short = sorted((t for t in kept if len(t.rows) < min_length), key=lambda t: -len(t.rows))
    for t in short:
        _place_short(points, chains, t, frames, max_extrapolation)
    out = np.full(ids.shape, -1, np.int32)
    for identity, chain in enumerate(chains):
        for t in chain:
            out[t.rows, t.cols] = identity
    if max_tracks == 1:
        # one animal: whatever broke the links, every linked instance (the online pass
        # keeps at most one per frame) can only be it
        out[ids >= 0] = 0
    return out


def fit_capacity(pieces: list[Tracklet], capacity: int, n_rows: int) -> list[Tracklet]:
    """Keep tracklets, longest first, so that no row has more than ``capacity`` spans."""
    occupancy = np.zeros(n_rows + 1, np.int32)
    heap = [(-len(t.rows), t.start, i, t) for i, t in enumerate(pieces)]
    heapq.heapify(heap)
    counter = len(heap)
    kept: list[Tracklet] = []
    while heap:
        _, _, _, t = heapq.heappop(heap)
        span = slice(t.start, t.end + 1)
        if occupancy[span].max() < capacity:
            occupancy[span] += 1
            kept.append(t)
            continue
        full = np.concatenate([[0], np.cumsum(occupancy[:n_rows] >= capacity)])
        free = full[t.rows + 1] == full[t.rows]  # this row itself has room
        # Split between consecutive instances when a full row lies between them.
        blocked_between = full[t.rows[1:]] > full[t.rows[:-1] + 1]
        run = np.concatenate([[0], np.cumsum(blocked_between | ~free[1:] | ~free[:-1])])
        for r in np.unique(run[free]):
            part = free & (run == r)
            heapq.heappush(heap, (-int(part.sum()), int(t.rows[part][0]), counter,
                                  Tracklet(t.rows[part], t.cols[part])))
            counter += 1
    return sorted(kept, key=lambda t: (t.start, t.end))


def link_chains(points: np.ndarray, pieces: list[Tracklet], frames: np.ndarray,
                max_extrapolation: int) -> list[list[Tracklet]]:
    """Fewest chains of non-overlapping tracklets, then cheapest links (see module docstring)."""
    n = len(pieces)
    if n == 0:
        return []
    ends = [_end_state(points, t, frames, last=True) for t in pieces]
    starts = [_end_state(points, t, frames, last=False) for t in pieces]
    big = MAX_LINK_COST * (n + 1)
    cost = np.full((2 * n, 2 * n), np.inf)
    cost[n:, n:] = 0.0  # unused start/end pairs
    cost[np.arange(n), n + np.arange(n)] = 0.0  # a ends a chain
    cost[n + np.arange(n), np.arange(n)] = big  # b starts a chain
    start_frames = np.array([frames[t.start] for t in pieces])
    for a, t in enumerate(pieces):
        later = np.flatnonzero(start_frames > frames[t.end])
        if len(later):
            cost[a, later] = [_link_cost(ends[a], starts[b], max_extrapolation) for b in later]
    pred, succ = linear_sum_assignment(cost)
    nxt = {int(a): int(b) for a, b in zip(pred, succ, strict=True) if a < n and b < n}
    has_pred = set(nxt.values())
    chains = []
    for a in range(n):  # pieces are in start order, so chains come out by first frame
        if a in has_pred:
            continue
        chain = [pieces[a]]
        while a in nxt:
            a = nxt[a]
            chain.append(pieces[a])
        chains.append(chain)
    return chains


def _place_short(points: np.ndarray, chains: list[list[Tracklet]], t: Tracklet,
                 frames: np.ndarray, max_extrapolation: int) -> None:
    """Insert short tracklet ``t`` into the chain whose gap it fits best, if any fits."""
    best, best_cost = None, SHORT_MAX_COST
    for chain in chains:
        before = [p for p in chain if p.end < t.start]
        after = [p for p in chain if p.start > t.end]
        if len(before) + len(after) != len(chain):  # the chain is busy during t
            continue
        costs = []
        if before:
            costs.append(_link_cost(_end_state(points, before[-1], frames, last=True),
                                    _end_state(points, t, frames, last=False), max_extrapolation))
        if after:
            costs.append(_link_cost(_end_state(points, t, frames, last=True),
                                    _end_state(points, after[0], frames, last=False),
                                    max_extrapolation))
        cost = min(costs, default=np.inf)
        if cost < best_cost:
            best, best_cost = chain, cost
    if best is not None:
        best.append(t)
        best.sort(key=lambda p: p.start)


@dataclass
class _EndState:
    pose: np.ndarray  # (K, 2), gaps filled from the rows next to it
    velocity: np.ndarray  # (2,) px per frame, pointing forward in time
    frame: int
    size: float


def _end_state(points: np.ndarray, t: Tracklet, frames: np.ndarray, *, last: bool) -> _EndState:
    """Pose, velocity and size at one end of a tracklet."""
    idx = np.arange(len(t.rows))[::-1] if last else np.arange(len(t.rows))
    near = idx[:VELOCITY_SPAN]
    poses = points[t.rows[near], t.cols[near]]  # nearest end first
    pose = poses[0].copy()
    for other in poses[1:]:  # fill nodes the end instance lacks from its neighbours
        gap = ~np.isfinite(pose).all(-1)
        pose[gap] = other[gap]
    velocity = np.zeros(2)
    if len(near) > 1:
        dt = float(frames[t.rows[near[-1]]] - frames[t.rows[near[0]]])
        shift = np.nanmean(poses[-1] - poses[0], axis=0) if _shared(poses[0], poses[-1]) else (
            np.nanmean(poses[-1], axis=0) - np.nanmean(poses[0], axis=0))
        velocity = np.nan_to_num(shift / dt)  # dt < 0 at the last end: still forward in time
    size = float(np.sqrt(box_areas(pose[None])[0]))
    return _EndState(pose, velocity, int(frames[t.rows[near[0]]]), size)


def _shared(a: np.ndarray, b: np.ndarray) -> bool:
    return bool((np.isfinite(a).all(-1) & np.isfinite(b).all(-1)).any())


def _link_cost(a: _EndState, b: _EndState, max_extrapolation: int) -> float:
    """How far apart ``a``'s end and ``b``'s start are, in animal sizes, after extrapolation."""
    gap = min(b.frame - a.frame, max_extrapolation)
    forward = _pose_distance(a.pose + a.velocity * gap, b.pose)
    backward = _pose_distance(b.pose - b.velocity * gap, a.pose)
    size = max(0.5 * (a.size + b.size), 1.0)
    return float(min(0.5 * (forward + backward) / size, MAX_LINK_COST))


def _pose_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Mean distance of the nodes both poses have; their centres' distance when none."""
    d = np.linalg.norm(p - q, axis=-1)
    shared = np.isfinite(d)
    if shared.any():
        return float(d[shared].mean())
    gap = np.nanmean(p, axis=0) - np.nanmean(q, axis=0)
    return float(np.linalg.norm(gap)) if np.isfinite(gap).all() else MAX_LINK_COST
