"""Multi-animal labeled frames from outside the platform: DeepLabCut projects and SLEAP files.

Both readers return :class:`MultiAnimalLabels`, plain per-frame lists (images
and ``(I_f, K, 2)`` NaN-padded points, which may differ in instance count from
frame to frame) that the benchmarks and tests split by key, turn into a
training :class:`ml_worker.dataset.PoseDataset` with :meth:`to_pose_dataset`,
and compare predictions against with :meth:`gt_arrays`.

* :func:`load_dlc_multianimal` reads a multi-animal DeepLabCut project's
  ``CollectedData_*.csv`` files (four header rows: scorer / individuals /
  bodyparts / coords), one instance per individual with a labeled point.
* :func:`load_slp_as_labels` turns a SLEAP predictions file into labels: the
  instances whose score is at least ``min_instance_score`` on the chosen
  frames, with the frames decoded from the video beside it exactly as
  inference decodes them (:func:`ml_worker.infer.iter_frames`).

Neither format stores visibility for these files, so every point that has
coordinates is visible (2).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ml_worker.dataset import VISIBLE, PoseDataset, PoseSample, infer_symmetries


@dataclass
class MultiAnimalLabels:
    """Labeled frames with any number of animals each.

    Attributes:
        images: ``(H, W, 3)`` uint8 RGB per frame.
        points: ``(I_f, K, 2)`` float32 per frame, NaN where unlabeled; every
            instance has at least one labeled point (``I_f`` may be 0).
        tracks: ``I_f`` identity names per frame (None: no identity).
        keys: unique frame keys (image paths, or ``"frame<index>"`` for a video).
        node_names: K node names.
        edges: skeleton edges as node index pairs.
        symmetries: left/right node index pairs.
        frame_indices: video frame index per frame (None for image folders).
        source: where the labels came from (a path).
    """

    images: list[np.ndarray]
    points: list[np.ndarray]
    tracks: list[list[str | None]]
    keys: list[str]
    node_names: list[str]
    edges: list[tuple[int, int]] = field(default_factory=list)
    symmetries: list[tuple[int, int]] = field(default_factory=list)
    frame_indices: list[int] | None = None
    source: str = ""

    def __post_init__(self) -> None:
        n, k = len(self.keys), len(self.node_names)
        if not (len(self.images) == len(self.points) == len(self.tracks) == n):
            raise ValueError("images, points, tracks and keys differ in length")
        if len(set(self.keys)) != n:
            raise ValueError("duplicate frame keys")
        for key, pts, trk in zip(self.keys, self.points, self.tracks, strict=True):
            if pts.ndim != 3 or pts.shape[1:] != (k, 2) or len(trk) != len(pts):
                raise ValueError(f"frame {key!r}: points {pts.shape} / {len(trk)} tracks "
                                 f"do not fit {k} nodes")

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def max_instances(self) -> int:
        """The most animals in one frame."""
        return max((len(p) for p in self.points), default=0)

    def subset(self, keys: Sequence[str]) -> MultiAnimalLabels:
        """The frames with these keys, in that order (KeyError for an unknown key)."""
        where = {k: i for i, k in enumerate(self.keys)}
        rows = [where[k] for k in keys]
        return MultiAnimalLabels(
            [self.images[r] for r in rows], [self.points[r] for r in rows],
            [list(self.tracks[r]) for r in rows], [self.keys[r] for r in rows],
            list(self.node_names), list(self.edges), list(self.symmetries),
            None if self.frame_indices is None else [self.frame_indices[r] for r in rows],
            self.source,
        )  # fmt: skip

    def gt_arrays(self, max_instances: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Ground truth for :func:`ml_worker.metrics_multi.evaluate`.

        Returns:
            ``points (F, J, K, 2)`` NaN-padded and ``visibility (F, J, K)``.
        """
        j = self.max_instances if max_instances is None else max_instances
        out = np.full((len(self), j, len(self.node_names), 2), np.nan, np.float32)
        for row, pts in enumerate(self.points):
            out[row, : min(len(pts), j)] = pts[:j]
        vis = np.where(np.isfinite(out).all(-1), VISIBLE, 0).astype(np.int8)
        return out, vis

    def to_pose_dataset(self) -> PoseDataset:
        """The training dataset: one :class:`PoseSample` per frame with all its animals."""
        samples = [PoseSample.from_points(img, pts, key, tracks=trk)
                   for img, pts, trk, key in zip(self.images, self.points, self.tracks,
                                                 self.keys, strict=True)]  # fmt: skip
        return PoseDataset(samples, list(self.node_names), list(self.symmetries),
                           list(self.edges))


def load_dlc_multianimal(project_dir: str | Path) -> MultiAnimalLabels:
    """Read a multi-animal DeepLabCut project's labeled frames (the CSVs, not the .h5).

    Nodes are ``multianimalbodyparts`` then ``uniquebodyparts``; each individual
    with a labeled point becomes an instance tracked by its name (the ``single``
    individual carrying the unique body parts is one more instance). Edges come
    from ``skeleton``, left/right symmetries are guessed from the node names.

    Args:
        project_dir: the DLC project folder (``config.yaml``, ``labeled-data/``).

    Raises:
        ValueError: not a multi-animal project, or a CSV naming unknown body parts.
    """
    import pandas as pd
    import yaml
    from PIL import Image

    root = Path(project_dir)
    config = yaml.safe_load((root / "config.yaml").read_text())
    if not config.get("multianimalproject"):
        raise ValueError(f"{root}: not a multi-animal project (use load_dlc_labeled_folder)")
    nodes = [str(b) for b in config.get("multianimalbodyparts") or []]
    nodes += [str(b) for b in config.get("uniquebodyparts") or []]
    edges = [(nodes.index(a), nodes.index(b)) for a, b in (config.get("skeleton") or [])]
    images, points, tracks, keys = [], [], [], []
    for csv in sorted(root.glob("labeled-data/*/CollectedData_*.csv")):
        df = pd.read_csv(csv, header=[0, 1, 2, 3])
        is_index = [str(c[3]) not in ("x", "y") for c in df.columns]
        index_cols = [c for c, flag in zip(df.columns, is_index, strict=True) if flag]
        value_cols = [c for c, flag in zip(df.columns, is_index, strict=True) if not flag]
        unknown = sorted({str(c[2]) for c in value_cols} - set(nodes))
        if unknown:
            raise ValueError(f"{csv}: body parts {unknown} are not in config.yaml")
        individuals = list(dict.fromkeys(str(c[1]) for c in value_cols))
        values = df[value_cols].to_numpy(np.float64)
        for row in range(len(df)):
            rel = "/".join(str(df[c].iloc[row]) for c in index_cols)
            frame = np.full((len(individuals), len(nodes), 2), np.nan, np.float32)
            for col, (_, ind, part, coord) in enumerate(value_cols):
                frame[individuals.index(str(ind)), nodes.index(str(part)),
                      0 if coord == "x" else 1] = values[row, col]  # fmt: skip
            keep = np.isfinite(frame).all(-1).any(-1)
            images.append(np.asarray(Image.open(root / rel).convert("RGB")))
            points.append(_nan_partial(frame[keep]))
            tracks.append([ind for ind, k in zip(individuals, keep, strict=True) if k])
            keys.append(rel)
    return MultiAnimalLabels(images, points, tracks, keys, nodes, edges,
                             infer_symmetries(nodes), source=str(root))


def slp_video_path(slp_path: str | Path) -> Path:
    """The video a ``.slp`` file refers to, or the file of that name beside it."""
    import sleap_io as sio

    slp_path = Path(slp_path)
    name = Path(str(sio.load_slp(str(slp_path)).videos[0].filename))
    return name if name.is_file() else slp_path.parent / name.name


def load_slp_as_labels(
    slp_path: str | Path,
    *,
    frames: Iterable[int] | None = None,
    min_instance_score: float = 5.0,
    video_path: str | Path | None = None,
) -> MultiAnimalLabels:
    """SLEAP predictions (or labels) on one video, as labeled frames.

    Args:
        slp_path: the ``.slp`` file (its first video is used).
        frames: video frame indices to keep (default: every frame in the file);
            a requested frame the file has no entry for is left out.
        min_instance_score: predicted instances scoring below this are dropped
            (SLEAP's instance score sums its grouping scores, so it grows with
            the node count; on the centered-pair flies true animals score >= 10,
            the stray part-groups <= 3). User-labeled instances are always kept.
        video_path: the video to decode; default :func:`slp_video_path`.

    Returns:
        Labels keyed ``"frame<index>"``, in frame order.
    """
    import sleap_io as sio

    from ml_worker.infer import iter_frames

    labels = sio.load_slp(str(slp_path))
    video = labels.videos[0]
    skeleton = labels.skeletons[0]
    nodes = [str(n) for n in skeleton.node_names]
    by_frame = {lf.frame_idx: lf for lf in labels.labeled_frames if lf.video is video}
    wanted = sorted(by_frame if frames is None else set(frames) & set(by_frame))
    pts_by_frame: dict[int, tuple[np.ndarray, list[str | None]]] = {}
    for idx in wanted:
        kept = [inst for inst in by_frame[idx].instances
                if not isinstance(inst, sio.PredictedInstance)
                or float(inst.score) >= min_instance_score]  # fmt: skip
        arr = np.stack([inst.numpy() for inst in kept]).astype(np.float32) if kept else (
            np.zeros((0, len(nodes), 2), np.float32))
        keep = np.isfinite(arr).all(-1).any(-1)
        tracks = [None if inst.track is None else str(inst.track.name) for inst in kept]
        pts_by_frame[idx] = (_nan_partial(arr[keep]), [t for t, k in zip(tracks, keep, strict=True)
                                                         if k])
    images = _decode(Path(video_path) if video_path else slp_video_path(slp_path), wanted,
                     iter_frames)
    sym = [tuple(int(i) for i in pair) for pair in getattr(skeleton, "symmetry_inds", []) or []]
    return MultiAnimalLabels(
        [images[i] for i in wanted], [pts_by_frame[i][0] for i in wanted],
        [pts_by_frame[i][1] for i in wanted], [f"frame{i}" for i in wanted], nodes,
        [(int(a), int(b)) for a, b in skeleton.edge_inds],
        sym or infer_symmetries(nodes), list(wanted), str(slp_path),
    )  # fmt: skip


def _decode(video: Path, wanted: Sequence[int], iter_frames) -> dict[int, np.ndarray]:
    """The wanted frames, decoded once from the start (inference's frame numbering)."""
    if not wanted:
        return {}
    want = set(wanted)
    out = {i: img for i, img in iter_frames(video, 0, max(want) + 1) if i in want}
    missing = sorted(want - set(out))
    if missing:
        raise ValueError(f"{video}: frames {missing[:5]} are past the end of the video")
    return out


def _nan_partial(points: np.ndarray) -> np.ndarray:
    """A point with one coordinate missing is unlabeled: both become NaN."""
    points = points.copy()
    points[~np.isfinite(points).all(-1)] = np.nan
    return points
