"""The one codec between stored instances and pose arrays with an instance axis.

Three shapes of the same thing meet here:

* **stored** (database rows, the labels API): one dict per instance,
  ``{"track": str | None, "source": "human" | "model", "points":
  [{"node": node_id, "x", "y", "visibility"}, ...]}``; nodes are project node ids
  and absent nodes are simply missing;
* **rows** (frozen label snapshots): ``{"track": str | None, "points":
  [[x, y, visibility] | None] * K}``, nodes by their position in the snapshot's
  node list;
* **arrays**: :class:`FramePoses` for one frame (``(I, K, 2)``) and
  :class:`PoseArrays` for many (``(F, I, K, 2)``, padded with NaN instances).

Visibility follows SLEAP/COCO: 2 visible, 1 labeled but occluded, 0 absent
(absent points have NaN coordinates). Pure numpy, so the web process can use
it without torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

VISIBLE, OCCLUDED, ABSENT = 2, 1, 0


@dataclass
class FramePoses:
    """The animals of one frame.

    Attributes:
        points: ``(I, K, 2)`` float32 pixel (x, y), NaN where absent.
        visibility: ``(I, K)`` int8, 2 visible / 1 occluded / 0 absent.
        tracks: I track names (None: no identity).
        scores: ``(I, K)`` float32 per-node confidence, NaN for labels.
        instance_scores: ``(I,)`` float32 per-instance confidence, NaN for labels.
    """

    points: np.ndarray
    visibility: np.ndarray
    tracks: list[str | None] = field(default_factory=list)
    scores: np.ndarray | None = None
    instance_scores: np.ndarray | None = None

    def __post_init__(self) -> None:
        # float32, unless given float64: imports keep a file's coordinates to the last digit.
        points = np.asarray(self.points)
        dtype = np.float64 if points.dtype == np.float64 else np.float32
        self.points = points.astype(dtype, copy=False).reshape(-1, points.shape[-2], 2)
        i, k = self.points.shape[:2]
        self.visibility = np.asarray(self.visibility, np.int8).reshape(i, k)
        self.visibility[np.isnan(self.points).any(-1)] = ABSENT
        self.points[self.visibility == ABSENT] = np.nan
        if not self.tracks:
            self.tracks = [None] * i
        if len(self.tracks) != i:
            raise ValueError(f"{len(self.tracks)} tracks for {i} instances")
        if self.scores is None:
            self.scores = np.full((i, k), np.nan, np.float32)
        if self.instance_scores is None:
            self.instance_scores = np.full(i, np.nan, np.float32)
        self.scores = np.asarray(self.scores, np.float32).reshape(i, k)
        self.instance_scores = np.asarray(self.instance_scores, np.float32).reshape(i)

    @classmethod
    def empty(cls, num_nodes: int) -> FramePoses:
        """No animals."""
        return cls(np.zeros((0, num_nodes, 2), np.float32), np.zeros((0, num_nodes), np.int8))

    @property
    def num_instances(self) -> int:
        return int(self.points.shape[0])

    @property
    def num_nodes(self) -> int:
        return int(self.points.shape[1])

    def present(self) -> FramePoses:
        """Only the instances with at least one point."""
        keep = (self.visibility != ABSENT).any(axis=1)
        return self.select(np.flatnonzero(keep))

    def select(self, rows: Sequence[int] | np.ndarray) -> FramePoses:
        """The instances at ``rows``, in that order."""
        rows = np.asarray(rows, dtype=int)
        assert self.scores is not None and self.instance_scores is not None
        return FramePoses(self.points[rows], self.visibility[rows],
                          [self.tracks[r] for r in rows], self.scores[rows],
                          self.instance_scores[rows])


def from_stored(instances: Sequence[Mapping[str, Any]], node_index: Mapping[int, int], *,
                dtype: type = np.float32) -> FramePoses:
    """Stored instances -> arrays; ``node_index`` maps node id -> column (others dropped).

    Points with visibility 0 are absent; instances keep their order. ``dtype``
    np.float64 keeps the stored coordinates exactly (exports).
    """
    k = len(node_index)
    points = np.full((len(instances), k, 2), np.nan, dtype)
    vis = np.zeros((len(instances), k), np.int8)
    scores = np.full((len(instances), k), np.nan, np.float32)
    for i, inst in enumerate(instances):
        for p in inst.get("points", []):
            col = node_index.get(p["node"])
            v = int(p.get("visibility", VISIBLE))
            if col is None or v == ABSENT:
                continue
            points[i, col] = (p["x"], p["y"])
            vis[i, col] = v
            if p.get("score") is not None:
                scores[i, col] = p["score"]
    inst_scores = np.array([np.nan if inst.get("score") is None else inst["score"]
                            for inst in instances], np.float32)
    return FramePoses(points, vis, [inst.get("track") for inst in instances], scores, inst_scores)


def to_stored(poses: FramePoses, node_ids: Sequence[int | None], *,
              source: str = "human", with_scores: bool = False) -> list[dict[str, Any]]:
    """Arrays -> stored instances; columns whose node id is None are skipped.

    Instances with no point left are dropped. ``with_scores`` adds ``score`` to
    each point and instance (for predictions shown in the workspace).
    """
    out = []
    assert poses.scores is not None and poses.instance_scores is not None
    for i in range(poses.num_instances):
        points = []
        for col, node in enumerate(node_ids):
            v = int(poses.visibility[i, col])
            if node is None or v == ABSENT:
                continue
            x, y = (float(c) for c in poses.points[i, col])
            point: dict[str, Any] = {"node": node, "x": x, "y": y, "visibility": v}
            if with_scores:
                point["score"] = _num(poses.scores[i, col])
            points.append(point)
        if not points:
            continue
        inst: dict[str, Any] = {"track": poses.tracks[i], "source": source, "points": points}
        if with_scores:
            inst["score"] = _num(poses.instance_scores[i])
        out.append(inst)
    return out


def from_rows(rows: Sequence[Mapping[str, Any]], num_nodes: int) -> FramePoses:
    """Snapshot rows (``points: [[x, y, v] | None] * K``) -> arrays."""
    points = np.full((len(rows), num_nodes, 2), np.nan, np.float32)
    vis = np.zeros((len(rows), num_nodes), np.int8)
    for i, row in enumerate(rows):
        for col, p in enumerate(row["points"][:num_nodes]):
            if p is not None:
                points[i, col] = p[:2]
                vis[i, col] = int(p[2]) if len(p) > 2 else VISIBLE
    return FramePoses(points, vis, [row.get("track") for row in rows])


def to_rows(poses: FramePoses) -> list[dict[str, Any]]:
    """Arrays -> snapshot rows; instances with no point are dropped."""
    out = []
    for i in range(poses.num_instances):
        row: list[list[float] | None] = [
            None if poses.visibility[i, k] == ABSENT
            else [_short(poses.points[i, k, 0]), _short(poses.points[i, k, 1]),
                  int(poses.visibility[i, k])]
            for k in range(poses.num_nodes)
        ]  # fmt: skip
        if any(p is not None for p in row):
            out.append({"track": poses.tracks[i], "points": row})
    return out


def stored_to_rows(instances: Sequence[Mapping[str, Any]],
                   node_index: Mapping[int, int]) -> list[dict[str, Any]]:
    """Stored instances -> snapshot rows (occluded and visible points kept)."""
    return to_rows(from_stored(instances, node_index))


@dataclass
class PoseArrays:
    """Many frames, padded to the same number of instances.

    Attributes:
        points: ``(F, I, K, 2)`` float32, NaN where absent or padding.
        visibility: ``(F, I, K)`` int8.
        scores: ``(F, I, K)`` float32 (NaN for labels).
        instance_scores: ``(F, I)`` float32 (NaN for labels and padding).
        tracks: ``(F, I)`` int32 index into ``track_names``, -1 for none / padding.
        track_names: the identities, in order.
    """

    points: np.ndarray
    visibility: np.ndarray
    scores: np.ndarray
    instance_scores: np.ndarray
    tracks: np.ndarray
    track_names: list[str]

    @property
    def num_frames(self) -> int:
        return int(self.points.shape[0])

    def frame(self, f: int) -> FramePoses:
        """Frame ``f`` without its padding instances."""
        names = [None if t < 0 else self.track_names[t] for t in self.tracks[f].tolist()]
        return FramePoses(self.points[f].copy(), self.visibility[f].copy(), names,
                          self.scores[f].copy(), self.instance_scores[f].copy()).present()


def stack(frames: Sequence[FramePoses], num_nodes: int, *, max_instances: int | None = None,
          track_names: Sequence[str] | None = None) -> PoseArrays:
    """Pad frames to a common instance count (``max_instances`` or the largest)."""
    names = list(track_names or [])
    for fp in frames:
        for t in fp.tracks:
            if t is not None and t not in names:
                names.append(t)
    index = {n: i for i, n in enumerate(names)}
    n_inst = max_instances if max_instances is not None else max(
        [fp.num_instances for fp in frames], default=0)
    f = len(frames)
    points = np.full((f, n_inst, num_nodes, 2), np.nan, np.float32)
    vis = np.zeros((f, n_inst, num_nodes), np.int8)
    scores = np.full((f, n_inst, num_nodes), np.nan, np.float32)
    inst_scores = np.full((f, n_inst), np.nan, np.float32)
    tracks = np.full((f, n_inst), -1, np.int32)
    for row, fp in enumerate(frames):
        m = min(fp.num_instances, n_inst)
        points[row, :m] = fp.points[:m]
        vis[row, :m] = fp.visibility[:m]
        scores[row, :m] = fp.scores[:m] if fp.scores is not None else np.nan
        inst_scores[row, :m] = fp.instance_scores[:m] if fp.instance_scores is not None else np.nan
        tracks[row, :m] = [-1 if t is None else index[t] for t in fp.tracks[:m]]
    return PoseArrays(points, vis, scores, inst_scores, tracks, names)


def from_predictions(points: np.ndarray, scores: np.ndarray, *,
                     instance_scores: np.ndarray | None = None,
                     track_ids: np.ndarray | None = None,
                     track_names: Sequence[str] = ()) -> PoseArrays:
    """Predicted arrays (the npz contract) -> :class:`PoseArrays`.

    Args:
        points: ``(F, I, K, 2)``, NaN where a node or a padding instance was not
            found; ``(F, K, 2)`` (files from before the instance axis) reads as I = 1.
        scores: ``(F, I, K)`` or ``(F, K)`` node confidences.
        instance_scores: ``(F, I)``; None: NaN.
        track_ids: ``(F, I)`` index into ``track_names``, -1 for none; None: all -1.
        track_names: the identities.

    Found points are visible (2); the rest absent.
    """
    points = np.asarray(points, np.float32)
    scores = np.asarray(scores, np.float32)
    if points.ndim == 3:
        points, scores = points[:, None], scores[:, None]
    f, i, k = points.shape[:3]
    vis = np.where(np.isfinite(points).all(-1), VISIBLE, ABSENT).astype(np.int8)
    points = np.where(vis[..., None] == VISIBLE, points, np.nan).astype(np.float32)
    inst = (np.full((f, i), np.nan, np.float32) if instance_scores is None
            else np.asarray(instance_scores, np.float32).reshape(f, i))
    tracks = (np.full((f, i), -1, np.int32) if track_ids is None
              else np.asarray(track_ids, np.int32).reshape(f, i))
    return PoseArrays(points, vis, scores.reshape(f, i, k), inst, tracks, list(track_names))


def _short(value: np.floating) -> float:
    """The shortest decimal that reads back as the same float32: a label typed as
    100.3 stays 100.3 in snapshot JSON, not 100.30000305175781."""
    return float(str(np.float32(value)))


def _num(value: float) -> float | None:
    value = float(value)
    return round(value, 4) if np.isfinite(value) else None
