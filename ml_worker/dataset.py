"""A neutral, in-memory labeled-frame dataset, its split, and a DeepLabCut reader.

Flow: whatever the labels came from (the platform's frozen label snapshot, a
DLC project, a SLEAP file) is turned into :class:`PoseSample` objects, one
per labeled frame with an instance axis (one row per animal), and wrapped in a :class:`PoseDataset` that
checks shapes and names once (so training code can trust them).
:func:`make_split` gives a deterministic, seeded train/validation/test split as
lists of sample keys, so the split can be stored beside the model and reused.
Augmentation lives in :mod:`ml_worker.augment`; label statistics that size the
model (anchor, animal extent) are here.

Visibility follows SLEAP/COCO: 2 visible, 1 labeled but occluded, 0 absent.
Occluded points are trained on and evaluated; absent points have NaN
coordinates and are ignored.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

VISIBLE, OCCLUDED, ABSENT = 2, 1, 0


@dataclass
class PoseSample:
    """One labeled frame with its animals.

    Attributes:
        image: ``(H, W, 3)`` uint8 RGB.
        keypoints: ``(I, K, 2)`` float32 pixel (x, y), NaN where unlabeled; one
            row per animal (``(K, 2)`` is accepted and read as one animal).
        visibility: ``(I, K)`` int8, 2 visible / 1 occluded / 0 absent.
        key: a stable, unique id (e.g. ``"video12/frame340"`` or an image path).
        tracks: I identity names (None: no identity); default all None.
    """

    image: np.ndarray
    keypoints: np.ndarray
    visibility: np.ndarray
    key: str
    tracks: list[str | None] = field(default_factory=list)

    @classmethod
    def from_points(cls, image: np.ndarray, keypoints: np.ndarray, key: str,
                    tracks: Sequence[str | None] | None = None) -> PoseSample:
        """Sample whose visibility is 2 where labeled and 0 where NaN.

        ``keypoints`` is ``(K, 2)`` for one animal or ``(I, K, 2)``.
        """
        kp = np.asarray(keypoints, dtype=np.float32)
        vis = np.where(np.isnan(kp).any(axis=-1), ABSENT, VISIBLE).astype(np.int8)
        return cls(image=image, keypoints=kp, visibility=vis, key=key, tracks=list(tracks or []))

    @property
    def num_instances(self) -> int:
        """Animals in the frame (rows of :attr:`keypoints`)."""
        return int(self.keypoints.shape[0]) if self.keypoints.ndim == 3 else 1


@dataclass
class PoseDataset:
    """Labeled frames plus the skeleton they were labeled with.

    Attributes:
        samples: the frames.
        node_names: K node names, in keypoint order.
        symmetries: pairs of node indices swapped by a horizontal flip.
        edges: pairs of node indices (for drawing; not used in training).
    """

    samples: list[PoseSample]
    node_names: list[str]
    symmetries: list[tuple[int, int]] = field(default_factory=list)
    edges: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        k = len(self.node_names)
        if k == 0:
            raise ValueError("node_names: the skeleton has no nodes")
        if len(set(self.node_names)) != k:
            raise ValueError(f"node_names: duplicate names in {self.node_names}")
        for name, pairs in (("symmetries", self.symmetries), ("edges", self.edges)):
            for a, b in pairs:
                if not (0 <= a < k and 0 <= b < k) or a == b:
                    raise ValueError(f"{name}: pair ({a}, {b}) is not two distinct nodes of {k}")
        self.symmetries = [(int(a), int(b)) for a, b in self.symmetries]
        self.edges = [(int(a), int(b)) for a, b in self.edges]
        seen: set[str] = set()
        for s in self.samples:
            _validate_sample(s, k)
            if s.key in seen:
                raise ValueError(f"sample {s.key!r}: duplicate key")
            seen.add(s.key)

    def __len__(self) -> int:
        return len(self.samples)

    @property
    def keys(self) -> list[str]:
        """Sample keys, in order."""
        return [s.key for s in self.samples]

    def subset(self, keys: Sequence[str]) -> PoseDataset:
        """The samples with these keys, in the given order.

        Raises:
            KeyError: a key that is not in the dataset.
        """
        by_key = {s.key: s for s in self.samples}
        missing = [k for k in keys if k not in by_key]
        if missing:
            raise KeyError(f"keys not in dataset: {missing[:5]}")
        return PoseDataset([by_key[k] for k in keys], list(self.node_names),
                           list(self.symmetries), list(self.edges))

    @property
    def max_instances(self) -> int:
        """The most animals labeled in one frame (0 for no samples)."""
        return max((s.num_instances for s in self.samples), default=0)

    def keypoints(self, max_instances: int | None = None) -> np.ndarray:
        """All keypoints, ``(N, I, K, 2)`` float32, NaN where unlabeled or padding.

        ``I`` is ``max_instances`` or the most animals in one frame.
        """
        i = self.max_instances if max_instances is None else max_instances
        out = np.full((len(self.samples), i, len(self.node_names), 2), np.nan, np.float32)
        for row, s in enumerate(self.samples):
            m = min(s.num_instances, i)
            out[row, :m] = s.keypoints[:m]
        return out

    def visibility(self, max_instances: int | None = None) -> np.ndarray:
        """All visibility flags, ``(N, I, K)`` int8 (0 for padding)."""
        i = self.max_instances if max_instances is None else max_instances
        out = np.zeros((len(self.samples), i, len(self.node_names)), np.int8)
        for row, s in enumerate(self.samples):
            m = min(s.num_instances, i)
            out[row, :m] = s.visibility[:m]
        return out

    def instance_keypoints(self) -> np.ndarray:
        """Every labeled animal of every frame, ``(M, K, 2)`` (for animal-size statistics)."""
        k = len(self.node_names)
        rows = [s.keypoints for s in self.samples if s.num_instances]
        return np.concatenate(rows).astype(np.float32) if rows else np.zeros((0, k, 2), np.float32)


def _validate_sample(s: PoseSample, k: int) -> None:
    img = s.image
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f"sample {s.key!r}: image must be (H, W, 3) uint8, got "
                         f"{img.shape} {img.dtype}")
    kp, vis = np.asarray(s.keypoints), np.asarray(s.visibility)
    if kp.ndim == 2 and vis.ndim == 1:  # one animal, the pre-instance-axis layout
        kp, vis = kp[None], vis[None]
    if kp.ndim != 3 or kp.shape[1:] != (k, 2):
        raise ValueError(f"sample {s.key!r}: keypoints must be (I, {k}, 2), got {kp.shape}")
    if vis.shape != kp.shape[:2]:
        raise ValueError(f"sample {s.key!r}: visibility must be {kp.shape[:2]}, got {vis.shape}")
    if not s.tracks:
        s.tracks = [None] * len(kp)
    if len(s.tracks) != len(kp):
        raise ValueError(f"sample {s.key!r}: {len(s.tracks)} tracks for {len(kp)} instances")
    s.keypoints = kp.astype(np.float32)  # a copy: the caller's arrays stay untouched
    s.visibility = vis.astype(np.int8)
    s.keypoints[s.visibility == ABSENT] = np.nan
    s.visibility[np.isnan(s.keypoints).any(axis=-1)] = ABSENT


def dataset_save(dataset: PoseDataset, path: str | Path) -> None:
    """Write ``dataset`` as one ``.npz`` of plain arrays (no pickle) plus JSON metadata.

    The worker hands datasets to its guarded training child this way; images may differ
    in size, so each sample's arrays are stored under its own index.
    """
    import json

    arrays: dict[str, np.ndarray] = {
        "meta": np.frombuffer(json.dumps({
            "node_names": list(dataset.node_names), "symmetries": dataset.symmetries,
            "edges": dataset.edges, "keys": dataset.keys,
            "tracks": [s.tracks for s in dataset.samples],
        }).encode(), dtype=np.uint8),
    }  # fmt: skip
    for i, s in enumerate(dataset.samples):
        arrays[f"image_{i}"] = np.ascontiguousarray(s.image, dtype=np.uint8)
        arrays[f"keypoints_{i}"] = np.asarray(s.keypoints, dtype=np.float32)
        arrays[f"visibility_{i}"] = np.asarray(s.visibility, dtype=np.int8)
    np.savez(Path(path), **arrays)


def dataset_load(path: str | Path) -> PoseDataset:
    """Read a dataset written by :func:`dataset_save`; refuses pickled arrays."""
    import json

    with np.load(Path(path), allow_pickle=False) as data:
        meta = json.loads(data["meta"].tobytes().decode())
        tracks = meta.get("tracks") or [[] for _ in meta["keys"]]
        samples = [
            PoseSample(image=data[f"image_{i}"], keypoints=data[f"keypoints_{i}"],
                       visibility=data[f"visibility_{i}"], key=key, tracks=list(tracks[i]))
            for i, key in enumerate(meta["keys"])
        ]  # fmt: skip
    return PoseDataset(samples, meta["node_names"],
                       [tuple(p) for p in meta["symmetries"]], [tuple(p) for p in meta["edges"]])


def make_split(keys: Sequence[str], val_fraction: float = 0.2, seed: int = 0, *,
               test_fraction: float = 0.0) -> dict[str, list[str]]:
    """Deterministic seeded train/validation/test split of sample keys.

    The result depends only on the set of keys, the fractions and ``seed``
    (not on their order), so it can be recomputed or stored as JSON. Without a
    test set the train and validation lists are the same as they always were
    for that seed. Validation picks the checkpoint and stops training early;
    test frames are only ever reported on.

    Args:
        keys: unique sample keys.
        val_fraction: share of the keys (all of them, test included) held out for
            validation (at least one when 2+ keys are left after the test set).
        seed: random seed.
        test_fraction: share of the keys drawn at random as the test set (a
            project's pinned test frames are removed from ``keys`` beforehand instead).

    Returns:
        ``{"train": [...], "val": [...], "test": [...]}``, each sorted, disjoint.
    """
    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    if not 0 <= test_fraction < 1 or val_fraction + test_fraction >= 1:
        raise ValueError(f"test_fraction must be in [0, 1 - val_fraction), got {test_fraction}")
    ordered = sorted(set(keys))
    n_test = round(len(ordered) * test_fraction)
    if test_fraction > 0 and len(ordered) >= 3:
        n_test = min(max(n_test, 1), len(ordered) - 2)
    # drawn with its own generator so the train/val draw below stays what it always was
    perm = np.random.default_rng([seed, 1]).permutation(len(ordered))
    held = {ordered[i] for i in perm[:n_test]}
    rest = [k for k in ordered if k not in held]
    n_val = round(len(ordered) * val_fraction)
    if val_fraction > 0 and len(rest) >= 2:
        n_val = min(max(n_val, 1), len(rest) - 1)
    n_val = min(n_val, len(rest))
    perm = np.random.default_rng(seed).permutation(len(rest))
    val = sorted(rest[i] for i in perm[:n_val])
    train = sorted(rest[i] for i in perm[n_val:])
    return {"train": train, "val": val, "test": sorted(held)}


ReadFrame = Callable[[int, int], np.ndarray | None]


def dataset_from_snapshot(
    content: dict[str, Any],
    read_frame: ReadFrame,
    *,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> PoseDataset:
    """Decode a frozen label snapshot into a dataset, one frame at a time.

    Decoding hundreds of frames can take minutes, so ``should_stop`` is polled
    before every frame: a cancel (or the worker's memory guard) acts within
    one frame's decode.

    Args:
        content: the snapshot: ``nodes``, ``edges``, ``symmetries`` and
            ``frames`` (``{"video", "frame_index", "instances"}``, instances as
            snapshot rows of :mod:`ml_worker.poses`; every instance is kept).
        read_frame: ``(video_id, frame_index) -> (H, W, 3) uint8``, or None
            when the video is gone (that frame is skipped).
        should_stop: True stops decoding with :class:`ml_worker.guard.Cancelled`.
        on_progress: called as ``(frames_done, frames_total)`` after each frame.

    Raises:
        Cancelled: ``should_stop()`` turned True.
        ValueError: fewer than 2 frames could be read.
    """
    from ml_worker.guard import Cancelled

    k, frames = len(content["nodes"]), content["frames"]
    samples = []
    for done, frame in enumerate(frames):
        if should_stop is not None and should_stop():
            raise Cancelled()
        image = read_frame(frame["video"], frame["frame_index"])
        if image is not None:
            samples.append(_snapshot_sample(frame, image, k))
        if on_progress is not None:
            on_progress(done + 1, len(frames))
    if len(samples) < 2:
        raise ValueError("fewer than 2 labeled frames could be read")
    return PoseDataset(samples, [n["name"] for n in content["nodes"]],
                       symmetries=[tuple(s) for s in content["symmetries"]],
                       edges=[tuple(e) for e in content["edges"]])


def snapshot_key(video: int, frame_index: int) -> str:
    """The sample key :func:`dataset_from_snapshot` gives a snapshot frame."""
    return f"video{video}/frame{frame_index}"


def _snapshot_sample(frame: dict[str, Any], image: np.ndarray, k: int) -> PoseSample:
    from ml_worker.poses import from_rows

    poses = from_rows(frame["instances"], k).present()
    key = snapshot_key(frame["video"], frame["frame_index"])
    return PoseSample(image, poses.points, poses.visibility, key, list(poses.tracks))


def anchor_points(keypoints: np.ndarray) -> np.ndarray:
    """Animal anchor: centre of the bounding box of the labeled keypoints.

    Args:
        keypoints: ``(..., K, 2)`` (e.g. ``(N, K, 2)`` or ``(N, I, K, 2)``), NaN where unlabeled.

    Returns:
        ``(..., 2)``; NaN for animals with no labeled point.
    """
    with _quiet():
        return (np.nanmin(keypoints, axis=-2) + np.nanmax(keypoints, axis=-2)) / 2


def animal_radius(keypoints: np.ndarray, quantile: float = 1.0) -> float:
    """Distance from the anchor to the farthest keypoint, over animals.

    Args:
        keypoints: ``(..., K, 2)`` with NaN where unlabeled.
        quantile: 1.0 for the maximum over frames.

    Returns:
        Radius in pixels (0 when nothing is labeled).
    """
    d = np.linalg.norm(keypoints - anchor_points(keypoints)[..., None, :], axis=-1)
    with _quiet():
        per_frame = np.nanmax(d, axis=-1).ravel()
    per_frame = per_frame[np.isfinite(per_frame)]
    return float(np.quantile(per_frame, quantile)) if len(per_frame) else 0.0


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence all-NaN warnings from nanmin/nanmax."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


_SIDE = [("left", "right"), ("Left", "Right"), ("LEFT", "RIGHT"), ("_l", "_r"), ("_L", "_R"),
         ("L", "R")]


def infer_symmetries(node_names: Sequence[str]) -> list[tuple[int, int]]:
    """Guess left/right node pairs from names (``leftear``/``rightear``, ``Ear_L``/``Ear_R``).

    Args:
        node_names: node names.

    Returns:
        Index pairs ``(left, right)``.
    """
    index = {n: i for i, n in enumerate(node_names)}
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for i, name in enumerate(node_names):
        for left, right in _SIDE:
            pattern = rf"(?<![A-Za-z]){left}|{left}(?![a-z])" if len(left) == 1 else left
            if i in used or not re.search(pattern, name):
                continue
            other = re.sub(pattern, right, name, count=1)
            j = index.get(other)
            if j is not None and j != i and j not in used:
                pairs.append((i, j))
                used.update((i, j))
    return pairs


def load_dlc_labeled_folder(project_dir: str | Path) -> PoseDataset:
    """Read a single-animal DeepLabCut project's labeled frames.

    Reads ``config.yaml`` (``bodyparts``, ``skeleton``) and every
    ``labeled-data/*/CollectedData_*.csv`` (3 header rows; the image index is
    either one column ``labeled-data/<video>/<img>.png`` or three columns
    ``labeled-data, <video>, <img>.png``). Left/right symmetries are guessed
    from the node names.

    Args:
        project_dir: the DLC project folder.

    Returns:
        A dataset whose keys are image paths relative to the project.

    Raises:
        ValueError: multi-animal project, or a CSV that does not match the config.
    """
    import pandas as pd
    import yaml
    from PIL import Image

    root = Path(project_dir)
    config = yaml.safe_load((root / "config.yaml").read_text())
    if config.get("multianimalproject"):
        raise ValueError(f"{root}: multi-animal DLC projects are not supported yet")
    nodes = [str(b) for b in config["bodyparts"]]
    edges = [(nodes.index(a), nodes.index(b)) for a, b in (config.get("skeleton") or [])]
    samples: list[PoseSample] = []
    for csv in sorted(root.glob("labeled-data/*/CollectedData_*.csv")):
        df = pd.read_csv(csv, header=[0, 1, 2])
        is_index = [str(c[0]).lower() == "scorer" or str(c[1]).startswith("Unnamed")
                    for c in df.columns]
        index_cols = [c for c, flag in zip(df.columns, is_index, strict=True) if flag]
        parts = [str(c[1]) for c, flag in zip(df.columns, is_index, strict=True) if not flag]
        unknown = sorted(set(parts) - set(nodes))
        if unknown:
            raise ValueError(f"{csv}: body parts {unknown} are not in config.yaml bodyparts")
        values = df[[c for c, flag in zip(df.columns, is_index, strict=True) if not flag]]
        for row in range(len(df)):
            rel = "/".join(str(df[c].iloc[row]) for c in index_cols)
            kp = np.full((len(nodes), 2), np.nan, dtype=np.float32)
            for col, part in zip(values.columns, parts, strict=True):
                kp[nodes.index(part), 0 if col[2] == "x" else 1] = values[col].iloc[row]
            image = np.asarray(Image.open(root / rel).convert("RGB"))
            samples.append(PoseSample.from_points(image, kp, key=rel))
    return PoseDataset(samples, nodes, infer_symmetries(nodes), edges)
