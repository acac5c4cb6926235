"""A trained model version as a directory, and batched prediction with it.

The directory is the contract between training, the web app and downloads::

    config.json    format version, TrainConfig, Geometry (preprocessing, input
                   and crop sizes, architectures), node names, edges, symmetries
    weights.pt     {"centroid": state_dict, "instance": state_dict}
    metrics.json   held-out metrics (see ml_worker.metrics)
    skeleton.json  node names, edges, symmetries (the skeleton it was trained on)

:meth:`ModelArtifact.save` writes each file atomically (``.tmp`` then
``os.replace``); :meth:`ModelArtifact.from_dir` checks the format and loads
weights with ``torch.load(weights_only=True)``. :func:`predict_frames` runs the
top-down pipeline of :mod:`ml_worker.pipeline` on a batch of frames.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ml_worker.config import TrainConfig
from ml_worker.model import build_model
from ml_worker.pipeline import Geometry, TopDownModel

FORMAT = "poseforge.topdown.v1"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a ``.tmp`` sibling and ``os.replace``."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def atomic_write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically (``allow_nan=False``: NaN is not JSON)."""
    atomic_write_bytes(path, json.dumps(obj, indent=2, allow_nan=False).encode())


def atomic_torch_save(obj: Any, path: Path) -> None:
    """``torch.save`` atomically."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


@dataclass
class ModelArtifact:
    """A trained top-down pose model plus everything needed to use it.

    Attributes:
        train_config: the config it was trained with.
        geometry: preprocessing and architectures.
        node_names: K node names, output order.
        edges: skeleton edges (node index pairs).
        symmetries: symmetric node index pairs.
        state: ``{"centroid": state_dict, "instance": state_dict}``.
        metrics: held-out metrics.
        extra: free-form provenance (split, steps, timings).
    """

    train_config: TrainConfig
    geometry: Geometry
    node_names: list[str]
    edges: list[tuple[int, int]]
    symmetries: list[tuple[int, int]]
    state: dict[str, dict[str, Tensor]]
    metrics: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def config_dict(self) -> dict[str, Any]:
        """The content of ``config.json``."""
        g = self.geometry
        return {
            "format": FORMAT,
            "node_names": list(self.node_names),
            "edges": [list(e) for e in self.edges],
            "symmetries": [list(s) for s in self.symmetries],
            "preprocessing": {
                "input": "uint8 RGB frames (N, H, W, 3), scaled to [0, 1]",
                "centroid_downsample": g.centroid_downsample,
                "crop_size": g.crop_size,
                "input_scale": g.input_scale,
                "frame_size": [g.frame_height, g.frame_width],
            },
            "geometry": g.to_dict(),
            "train_config": self.train_config.to_dict(),
            "extra": self.extra,
        }

    def save(self, path: str | Path) -> Path:
        """Write the artifact directory (each file atomically); returns the path."""
        root = Path(path)
        root.mkdir(parents=True, exist_ok=True)
        atomic_torch_save(self.state, root / "weights.pt")
        atomic_write_json(root / "metrics.json", self.metrics)
        atomic_write_json(root / "skeleton.json", {
            "node_names": self.node_names, "edges": [list(e) for e in self.edges],
            "symmetries": [list(s) for s in self.symmetries]})
        atomic_write_json(root / "config.json", self.config_dict())
        return root

    @classmethod
    def from_dir(cls, path: str | Path) -> ModelArtifact:
        """Load an artifact directory written by :meth:`save`.

        Raises:
            ValueError: missing file or unknown format.
        """
        root = Path(path)
        for name in ("config.json", "weights.pt"):
            if not (root / name).is_file():
                raise ValueError(f"{root}: not a model artifact (missing {name})")
        config = json.loads((root / "config.json").read_text())
        if config.get("format") != FORMAT:
            raise ValueError(f"{root}: unsupported artifact format {config.get('format')!r}")
        metrics_path = root / "metrics.json"
        return cls(
            train_config=TrainConfig.from_dict(config["train_config"]),
            geometry=Geometry.from_dict(config["geometry"]),
            node_names=list(config["node_names"]),
            edges=[(a, b) for a, b in config["edges"]],
            symmetries=[(a, b) for a, b in config["symmetries"]],
            state=torch.load(root / "weights.pt", map_location="cpu", weights_only=True),
            metrics=json.loads(metrics_path.read_text()) if metrics_path.is_file() else {},
            extra=config.get("extra", {}),
        )

    def build_module(self) -> TopDownModel:
        """The inference module (eval mode, CPU, float32)."""
        centroid = build_model(self.geometry.centroid)
        instance = build_model(self.geometry.instance)
        centroid.load_state_dict(self.state["centroid"])
        instance.load_state_dict(self.state["instance"])
        return TopDownModel(centroid, instance, self.geometry).eval()


def predict_frames(
    artifact: ModelArtifact | TopDownModel,
    frames: np.ndarray,
    batch_size: int = 16,
    device: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Predict keypoints on frames, in batches.

    Args:
        artifact: a loaded artifact (or an already built module, to reuse it).
        frames: ``(N, H, W, 3)`` uint8 RGB (one video's frames: same size).
        batch_size: frames per forward pass.
        device: ``"cpu"``/``"cuda"``; default: CUDA when available.

    Returns:
        ``points (N, K, 2)`` float32 frame pixels (x, y) and ``scores (N, K)``
        float32 peak confidences.
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be (N, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    module = artifact.build_module() if isinstance(artifact, ModelArtifact) else artifact
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    module = module.to(dev).eval()
    points, scores = [], []
    with torch.inference_mode():
        for start in range(0, len(frames), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(frames[start:start + batch_size]))
            p, s, _ = module(batch.to(dev))
            points.append(p.float().cpu().numpy())
            scores.append(s.float().cpu().numpy())
    k = module.geometry.num_nodes
    if not points:
        return np.zeros((0, k, 2), np.float32), np.zeros((0, k), np.float32)
    return np.concatenate(points).astype(np.float32), np.concatenate(scores).astype(np.float32)
