"""Part affinity fields: training targets, edge scoring and grouping nodes into animals.

The bottom-up model (:mod:`ml_worker.bottomup`) predicts, for every frame, one
confidence map per node (peaks at every animal's node, whoever it belongs to)
and one 2-channel *part affinity field* (PAF) per skeleton edge: near the
segment from an animal's source node to its destination node, the field holds
the unit vector along that segment (OpenPose, SLEAP, DeepLabCut). Grouping then
needs no per-pixel Python:

1. :func:`find_all_peaks` takes the local maxima of every confidence map above a
   threshold (3x3 non-maximum suppression in torch) and refines each one to
   sub-pixel precision with a log-parabola (exact for a Gaussian peak);
2. :func:`score_connections` pairs, per edge, every source peak with every
   destination peak of the same frame, samples the PAF at ``n_points`` points
   along the line between them and scores the pair by the mean projection of
   the field on the line direction, minus a penalty for lines longer than the
   edge ever is in the labels; pairs keep a one-to-one greedy best match;
3. :func:`assemble` walks the edges in breadth-first order from the best
   connected node and grows instances: a connection extends the instance that
   owns one of its peaks, starts a new one when neither peak is owned, and
   merges two partial instances when their nodes do not overlap.

An instance's score is the mean over nodes and edges of its peak values and
connection scores, so missing parts lower it and it stays in [0, 1].
Coordinates in this module are map bins (see :mod:`ml_worker.heatmaps`) unless
a function says otherwise. Skeletons without edges, or with nodes the edges do
not reach, are completed by :func:`complete_edges` (a minimum spanning tree over
mean labeled distances), so every node can be grouped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F

from ml_worker.heatmaps import make_confmaps, px_to_bin


def complete_edges(
    edges: Sequence[tuple[int, int]], points: Sequence[np.ndarray], num_nodes: int
) -> list[tuple[int, int]]:
    """The skeleton's edges plus the shortest edges that connect what they leave apart.

    Kruskal's algorithm over the mean labeled distance between every pair of
    nodes, seeded with the given edges: with no edges it returns a minimum
    spanning tree; a connected skeleton comes back unchanged (duplicates and
    self-loops dropped).

    Args:
        edges: skeleton edges as (source, destination) node indices.
        points: per frame ``(I, K, 2)`` labeled points, NaN where absent.
        num_nodes: K.

    Returns:
        The edges to predict fields for, given ones first.
    """
    parent = list(range(num_nodes))

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    out: list[tuple[int, int]] = []
    for s, d in edges:
        pair = (int(s), int(d))
        if pair[0] != pair[1] and pair not in out and pair[::-1] not in out:
            out.append(pair)
            parent[root(pair[0])] = root(pair[1])
    dist = mean_node_distances(points, num_nodes)
    iu, ju = np.triu_indices(num_nodes, k=1)
    for n in np.argsort(dist[iu, ju], kind="stable"):
        a, b = int(iu[n]), int(ju[n])
        if root(a) != root(b):
            parent[root(a)] = root(b)
            out.append((a, b))
    return out


def mean_node_distances(points: Sequence[np.ndarray], num_nodes: int) -> np.ndarray:
    """``(K, K)`` mean distance between nodes of the same instance (never labeled together: inf)."""
    total = np.zeros((num_nodes, num_nodes))
    count = np.zeros((num_nodes, num_nodes))
    for frame in points:
        p = np.asarray(frame, np.float64).reshape(-1, num_nodes, 2)
        d = np.linalg.norm(p[:, :, None] - p[:, None, :], axis=-1)  # (I, K, K)
        ok = np.isfinite(d)
        total += np.where(ok, d, 0).sum(0)
        count += ok.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.inf)


def assembly_order(edges: Sequence[tuple[int, int]], num_nodes: int) -> list[int]:
    """Edge indices in breadth-first order from the node with the most edges.

    Growing instances along this order means each connection, after the first,
    usually touches a node that is already placed, so partial instances rarely
    need merging.
    """
    incident: list[list[int]] = [[] for _ in range(num_nodes)]
    for e, (s, d) in enumerate(edges):
        incident[s].append(e)
        incident[d].append(e)
    order: list[int] = []
    seen_nodes: set[int] = set()
    starts = sorted(range(num_nodes), key=lambda k: -len(incident[k]))
    for start in starts:
        if start in seen_nodes:
            continue
        queue = deque([start])
        seen_nodes.add(start)
        while queue:
            node = queue.popleft()
            for e in incident[node]:
                if e not in order:
                    order.append(e)
                other = edges[e][1] if edges[e][0] == node else edges[e][0]
                if other not in seen_nodes:
                    seen_nodes.add(other)
                    queue.append(other)
    return order


def make_pafs(points: Tensor, edges: Tensor, height: int, width: int, stride: int,
              sigma_px: float) -> tuple[Tensor, Tensor]:
    """Part affinity field targets.

    Each instance's edge contributes its unit vector weighted by a Gaussian of
    the distance to the segment; where instances overlap, the one whose segment
    is closest wins, so crossing limbs do not cancel into a zero vector.

    Args:
        points: ``(B, I, K, 2)`` input pixels, NaN where absent.
        edges: ``(E, 2)`` long (source, destination) node indices.
        height: map height.
        width: map width.
        stride: output stride of the maps.
        sigma_px: field half-width (Gaussian sigma) in input pixels.

    Returns:
        ``pafs (B, 2E, height, width)`` with channels (x, y) per edge, and the
        weights ``(B, E, height, width)`` of the winning segments (the field's
        magnitude).
    """
    b, n_inst = points.shape[:2]
    n_edges = edges.shape[0]
    xy = px_to_bin(points.float(), stride)
    sigma = sigma_px / stride
    ys = torch.arange(height, dtype=torch.float32, device=points.device)
    xs = torch.arange(width, dtype=torch.float32, device=points.device)
    gx = xs.view(1, 1, 1, width)
    gy = ys.view(1, 1, height, 1)
    best = torch.zeros(b, n_edges, height, width, device=points.device)
    field = torch.zeros(b, n_edges, 2, height, width, device=points.device)
    for i in range(n_inst):
        src, dst = xy[:, i, edges[:, 0]], xy[:, i, edges[:, 1]]  # (B, E, 2)
        vec = dst - src
        length = vec.norm(dim=-1)
        ok = torch.isfinite(length) & (length > 1e-6)
        unit = torch.where(ok[..., None], vec / length.clamp(min=1e-6)[..., None], 0.0)
        src = torch.nan_to_num(src)
        length = torch.where(ok, length, 0.0)
        ux, uy = unit[..., 0, None, None], unit[..., 1, None, None]
        rx, ry = gx - src[..., 0, None, None], gy - src[..., 1, None, None]  # (B, E, h, w)
        along = (rx * ux + ry * uy).clamp(min=0.0)
        along = torch.minimum(along, length[..., None, None])
        d2 = (rx - along * ux) ** 2 + (ry - along * uy) ** 2
        weight = torch.exp(-d2 / (2 * sigma**2)) * ok[..., None, None]
        win = weight > best
        best = torch.where(win, weight, best)
        field = torch.where(win[:, :, None], torch.stack([ux, uy], 2) * weight[:, :, None], field)
    return field.reshape(b, 2 * n_edges, height, width), best


def make_multi_confmaps(points: Tensor, height: int, width: int, stride: int,
                        sigma_px: float) -> Tensor:
    """One Gaussian per labeled point, every instance in the same map (max where they meet).

    Args:
        points: ``(B, I, K, 2)`` input pixels, NaN where absent.
        height: map height.
        width: map width.
        stride: output stride.
        sigma_px: Gaussian sigma in input pixels.

    Returns:
        ``(B, K, height, width)`` maps with peak value 1.
    """
    b, n_inst, k = points.shape[:3]
    if n_inst == 0:
        return torch.zeros(b, k, height, width, device=points.device)
    maps = make_confmaps(points.reshape(b, n_inst * k, 2), height, width, stride, sigma_px)
    return maps.reshape(b, n_inst, k, height, width).amax(dim=1)


@dataclass
class Peaks:
    """Every detected node of a batch of frames.

    Attributes:
        frame: ``(P,)`` frame index in the batch.
        node: ``(P,)`` node index.
        xy: ``(P, 2)`` sub-pixel position in map bins (x, y).
        score: ``(P,)`` confidence-map value at the peak.
    """

    frame: np.ndarray
    node: np.ndarray
    xy: np.ndarray
    score: np.ndarray


def find_all_peaks(maps: Tensor, threshold: float) -> Peaks:
    """Local maxima of every map above ``threshold``, refined to sub-pixel.

    A bin is a peak when it is strictly above the neighbours that come before
    it in scan order and not below the others, so a flat top yields one peak.
    The refinement fits a parabola to the log of the map through the peak and
    its two neighbours on each axis, which recovers a Gaussian's centre exactly.

    Args:
        maps: ``(N, K, h, w)`` non-negative confidence maps.
        threshold: lowest peak value kept.

    Returns:
        The peaks (numpy arrays).
    """
    pad = F.pad(maps, (1, 1, 1, 1), value=-1.0)
    h, w = maps.shape[-2:]

    def at(dy: int, dx: int) -> Tensor:
        return pad[..., 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]

    earlier = torch.stack([at(-1, -1), at(-1, 0), at(-1, 1), at(0, -1)]).amax(0)
    later = torch.stack([at(0, 1), at(1, -1), at(1, 0), at(1, 1)]).amax(0)
    is_peak = (maps > earlier) & (maps >= later) & (maps > threshold)
    n, k, y, x = is_peak.nonzero(as_tuple=True)
    logs = torch.log(pad.clamp(min=1e-6))
    yp, xp = y + 1, x + 1
    centre = logs[n, k, yp, xp]

    def offset(lo: Tensor, hi: Tensor) -> Tensor:
        curve = 2 * centre - lo - hi
        off = 0.5 * (hi - lo) / curve.clamp(min=1e-6)
        return off.clamp(-0.5, 0.5)

    dx = offset(logs[n, k, yp, xp - 1], logs[n, k, yp, xp + 1])
    dy = offset(logs[n, k, yp - 1, xp], logs[n, k, yp + 1, xp])
    xy = torch.stack([x.to(maps.dtype) + dx, y.to(maps.dtype) + dy], dim=-1)
    return Peaks(n.cpu().numpy(), k.cpu().numpy(), xy.float().cpu().numpy(),
                 maps[n, k, y, x].float().cpu().numpy())


@dataclass
class Connections:
    """Accepted source-destination peak pairs of one edge (indices into :class:`Peaks`)."""

    src: np.ndarray
    dst: np.ndarray
    score: np.ndarray


def score_connections(
    pafs: np.ndarray,
    peaks: Peaks,
    edge: tuple[int, int],
    edge_index: int,
    max_length: float,
    *,
    n_points: int = 10,
    min_score: float = 0.05,
    min_fraction: float = 0.5,
) -> Connections:
    """Candidate connections of one edge across a batch, scored and matched one-to-one.

    Args:
        pafs: ``(N, 2E, h, w)`` predicted fields.
        peaks: the batch's peaks.
        edge: (source node, destination node).
        edge_index: e, the edge's channels are ``2e`` (x) and ``2e + 1`` (y).
        max_length: longest plausible edge in bins; longer lines are penalised
            by ``max_length / length - 1``.
        n_points: samples along each line.
        min_score: lowest accepted line score.
        min_fraction: share of samples whose projection must exceed 0.1.

    Returns:
        Greedy one-to-one matches, best score first.
    """
    src_ids = np.flatnonzero(peaks.node == edge[0])
    dst_ids = np.flatnonzero(peaks.node == edge[1])
    same = peaks.frame[src_ids][:, None] == peaks.frame[dst_ids][None, :]
    si, di = np.nonzero(same)
    if si.size == 0:
        return Connections(np.zeros(0, int), np.zeros(0, int), np.zeros(0, np.float32))
    src_ids, dst_ids = src_ids[si], dst_ids[di]
    a, b = peaks.xy[src_ids], peaks.xy[dst_ids]
    vec = b - a
    length = np.linalg.norm(vec, axis=-1)
    unit = vec / np.maximum(length, 1e-6)[:, None]
    t = np.linspace(0.0, 1.0, n_points, dtype=np.float32)
    line = a[:, None, :] + t[None, :, None] * vec[:, None, :]  # (P, n, 2)
    h, w = pafs.shape[-2:]
    xi = np.clip(np.rint(line[..., 0]), 0, w - 1).astype(np.intp)
    yi = np.clip(np.rint(line[..., 1]), 0, h - 1).astype(np.intp)
    frame = peaks.frame[src_ids][:, None]
    vx = pafs[frame, 2 * edge_index, yi, xi]
    vy = pafs[frame, 2 * edge_index + 1, yi, xi]
    dots = vx * unit[:, 0, None] + vy * unit[:, 1, None]
    penalty = np.minimum(0.0, max_length / np.maximum(length, 1e-6) - 1.0)
    score = dots.mean(axis=1) + penalty
    keep = (score > min_score) & ((dots > 0.1).mean(axis=1) >= min_fraction) & (length > 1e-6)
    return _greedy_one_to_one(src_ids[keep], dst_ids[keep], score[keep].astype(np.float32))


def _greedy_one_to_one(src: np.ndarray, dst: np.ndarray, score: np.ndarray) -> Connections:
    order = np.argsort(-score, kind="stable")
    used_src: set[int] = set()
    used_dst: set[int] = set()
    keep: list[int] = []
    for j in order.tolist():
        s, d = int(src[j]), int(dst[j])
        if s not in used_src and d not in used_dst:
            used_src.add(s)
            used_dst.add(d)
            keep.append(j)
    return Connections(src[keep], dst[keep], score[keep])


@dataclass
class Assembly:
    """Grouped instances of a batch.

    Attributes:
        frame: ``(M,)`` frame index of each instance.
        peak_ids: ``(M, K)`` peak index per node, -1 where missing.
        score: ``(M,)`` instance score in [0, 1].
    """

    frame: np.ndarray
    peak_ids: np.ndarray
    score: np.ndarray


def assemble(
    peaks: Peaks,
    connections: Sequence[Connections],
    edges: Sequence[tuple[int, int]],
    num_nodes: int,
    *,
    min_peaks: int = 2,
) -> Assembly:
    """Group peaks into instances along the edges (all frames of a batch at once).

    Args:
        peaks: the batch's peaks (indices are unique across frames, so one pass
            serves every frame).
        connections: per edge, its accepted connections.
        edges: (source, destination) node indices.
        num_nodes: K.
        min_peaks: instances with fewer nodes are dropped.

    Returns:
        The instances.
    """
    owner = np.full(len(peaks.node), -1, dtype=np.int64)
    slots: list[np.ndarray] = []  # per instance, (K,) peak ids
    edge_scores: list[np.ndarray] = []  # per instance, (E,) best connection score
    n_edges = len(edges)
    for e in assembly_order(edges, num_nodes):
        s_node, d_node = edges[e]
        conn = connections[e]
        for s, d, sc in zip(conn.src.tolist(), conn.dst.tolist(), conn.score.tolist(),
                            strict=True):
            i, j = owner[s], owner[d]
            if i < 0 and j < 0:
                slot = np.full(num_nodes, -1, dtype=np.int64)
                slot[s_node], slot[d_node] = s, d
                owner[s] = owner[d] = len(slots)
                slots.append(slot)
                edge_scores.append(np.zeros(n_edges))
                i = j = owner[s]
            elif j < 0 and slots[i][d_node] < 0:
                slots[i][d_node], owner[d] = d, i
                j = i
            elif i < 0 and slots[j][s_node] < 0:
                slots[j][s_node], owner[s] = s, j
                i = j
            elif i >= 0 and j >= 0 and i != j and _disjoint(slots[i], slots[j]):
                _merge(slots, edge_scores, owner, keep=i, gone=j)
                j = i
            if i == j and i >= 0:
                edge_scores[i][e] = max(edge_scores[i][e], sc)
    return _finish(peaks, slots, edge_scores, num_nodes, min_peaks)


def _disjoint(a: np.ndarray, b: np.ndarray) -> bool:
    return not bool(((a >= 0) & (b >= 0)).any())


def _merge(slots: list[np.ndarray], edge_scores: list[np.ndarray], owner: np.ndarray, *,
           keep: int, gone: int) -> None:
    moved = slots[gone] >= 0
    slots[keep][moved] = slots[gone][moved]
    owner[slots[gone][moved]] = keep
    edge_scores[keep] = np.maximum(edge_scores[keep], edge_scores[gone])
    slots[gone][:] = -1
    edge_scores[gone][:] = 0


def _finish(peaks: Peaks, slots: list[np.ndarray], edge_scores: list[np.ndarray],
            num_nodes: int, min_peaks: int) -> Assembly:
    if not slots:
        return Assembly(np.zeros(0, np.int64), np.zeros((0, num_nodes), np.int64),
                        np.zeros(0, np.float32))
    ids = np.stack(slots)
    edge = np.stack(edge_scores)
    found = ids >= 0
    keep = found.sum(1) >= max(min_peaks, 1)
    ids, edge, found = ids[keep], edge[keep], found[keep]
    node_scores = np.where(found, peaks.score[np.maximum(ids, 0)], 0.0)
    score = (node_scores.sum(1) + edge.sum(1)) / (num_nodes + edge.shape[1])
    first = ids[np.arange(len(ids)), found.argmax(1)]
    return Assembly(peaks.frame[first].astype(np.int64), ids, score.astype(np.float32))


def group_maps(
    confmaps: Tensor,
    pafs: np.ndarray,
    edges: Sequence[tuple[int, int]],
    max_length: Sequence[float],
    *,
    peak_threshold: float = 0.2,
    min_edge_score: float = 0.05,
    min_peaks: int = 2,
) -> tuple[Peaks, Assembly]:
    """Peaks, connections and instances of a batch of predicted maps.

    Args:
        confmaps: ``(N, K, h, w)`` confidence maps.
        pafs: ``(N, 2E, h, w)`` fields.
        edges: the E edges of the fields.
        max_length: per edge, the longest plausible length in bins.
        peak_threshold: lowest peak value kept.
        min_edge_score: lowest accepted line score.
        min_peaks: instances with fewer nodes are dropped.

    Returns:
        The peaks and the instances built from them.
    """
    peaks = find_all_peaks(confmaps, peak_threshold)
    conns = [score_connections(pafs, peaks, edge, e, max_length[e], min_score=min_edge_score)
             for e, edge in enumerate(edges)]
    return peaks, assemble(peaks, conns, edges, confmaps.shape[1], min_peaks=min_peaks)
