"""A trained model version as a directory, and batched prediction with it.

The directory is the contract between training, the web app and downloads::

    config.json    format version, model_kind, max_instances, identity_names
                   (only for a model with an identity head), TrainConfig,
                   Geometry (top-down: preprocessing, input and crop sizes,
                   architectures) or the bottom-up model's config, node names,
                   edges, symmetries
    weights.pt     top-down {"centroid": state_dict, "instance": state_dict};
                   bottom-up {"bottom_up": state_dict}
    metrics.json   held-out metrics (see ml_worker.metrics, ml_worker.metrics_multi)
    skeleton.json  node names, edges, symmetries (the skeleton it was trained on)

:meth:`ModelArtifact.save` writes each file atomically (``.tmp`` then
``os.replace``); :meth:`ModelArtifact.from_dir` checks the format and loads
weights with ``torch.load(weights_only=True)``; artifacts written before
``model_kind`` existed are top-down with one animal. :func:`predict_instances`
runs either model on a batch of frames and returns an instance axis.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ml_worker.config import TrainConfig
from ml_worker.model import build_model
from ml_worker.pipeline import Geometry, TopDownModel

FORMAT = "poseforge.topdown.v1"
BOTTOM_UP_FORMAT = "poseforge.bottomup.v1"
FORMATS = {FORMAT: "top_down", BOTTOM_UP_FORMAT: "bottom_up"}


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
class Predictions:
    """Predictions for a batch of frames, with an instance axis.

    Attributes:
        points: ``(N, I, K, 2)`` float32 frame pixels, NaN for empty slots.
        scores: ``(N, I, K)`` float32 node confidence (0 for empty slots).
        instance_scores: ``(N, I)`` float32 animal confidence (0 for empty slots).
        anchors: ``(N, I, 2)`` float32 animal anchors (bounding-box centre of
            the points when the model has none).
        identity_scores: ``(N, I, T)`` float32 probability of each identity
            (0 for empty slots), None for a model without identities.
    """

    points: np.ndarray
    scores: np.ndarray
    instance_scores: np.ndarray
    anchors: np.ndarray
    identity_scores: np.ndarray | None = None

    def row(self, i: int) -> Predictions:
        """Frame ``i`` alone (arrays without the frame axis)."""
        return Predictions(self.points[i], self.scores[i], self.instance_scores[i],
                           self.anchors[i],
                           None if self.identity_scores is None else self.identity_scores[i])


@dataclass
class ModelArtifact:
    """A trained pose model (top-down or bottom-up) plus everything needed to use it.

    Attributes:
        train_config: the config it was trained with.
        geometry: top-down preprocessing and architectures (None for bottom-up).
        node_names: K node names, output order.
        edges: skeleton edges (node index pairs).
        symmetries: symmetric node index pairs.
        state: ``{"centroid": ..., "instance": ...}`` or ``{"bottom_up": ...}`` state_dicts.
        metrics: held-out metrics.
        extra: free-form provenance (split, steps, timings).
        model_kind: ``"top_down"`` or ``"bottom_up"``.
        bottom_up: the bottom-up model's config dict (``BottomUpModel.geometry``).
        max_instances: animals per frame the model reports (the top-down
            geometry's when there is one).
        identity_names: the identities its instance net tells apart (top-down,
            :mod:`ml_worker.identity`); empty: none.
    """

    train_config: TrainConfig
    geometry: Geometry | None
    node_names: list[str]
    edges: list[tuple[int, int]]
    symmetries: list[tuple[int, int]]
    state: dict[str, dict[str, Tensor]]
    metrics: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    model_kind: str = "top_down"
    bottom_up: dict[str, Any] | None = None
    max_instances: int = 1
    identity_names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.model_kind not in FORMATS.values():
            raise ValueError(f"unknown model kind {self.model_kind!r}")
        if self.model_kind == "top_down":
            if self.geometry is None:
                raise ValueError("a top-down artifact needs its geometry")
            self.max_instances = self.geometry.max_instances
        elif self.bottom_up is None:
            raise ValueError("a bottom-up artifact needs its model config")

    def config_dict(self) -> dict[str, Any]:
        """The content of ``config.json``."""
        common = {
            "model_kind": self.model_kind,
            "max_instances": self.max_instances,
            "node_names": list(self.node_names),
            "edges": [list(e) for e in self.edges],
            "symmetries": [list(s) for s in self.symmetries],
            "train_config": self.train_config.to_dict(),
            "extra": self.extra,
        }
        if self.identity_names:
            common["identity_names"] = list(self.identity_names)
        g = self.geometry
        if g is None:
            return {"format": BOTTOM_UP_FORMAT, **common, "bottom_up": self.bottom_up,
                    "preprocessing": {"input": "uint8 RGB frames (N, H, W, 3)"}}
        return {
            "format": FORMAT,
            **common,
            "preprocessing": {
                "input": "uint8 RGB frames (N, H, W, 3), scaled to [0, 1]",
                "centroid_downsample": g.centroid_downsample,
                "crop_size": g.crop_size,
                "input_scale": g.input_scale,
                "frame_size": [g.frame_height, g.frame_width],
            },
            "geometry": g.to_dict(),
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
        kind = FORMATS.get(config.get("format"))
        if kind is None:
            raise ValueError(f"{root}: unsupported artifact format {config.get('format')!r}")
        metrics_path = root / "metrics.json"
        return cls(
            train_config=TrainConfig.from_dict(config["train_config"]),
            geometry=Geometry.from_dict(config["geometry"]) if kind == "top_down" else None,
            model_kind=kind,
            bottom_up=config.get("bottom_up"),
            max_instances=int(config.get("max_instances", 1)),
            node_names=list(config["node_names"]),
            edges=[(a, b) for a, b in config["edges"]],
            symmetries=[(a, b) for a, b in config["symmetries"]],
            state=torch.load(root / "weights.pt", map_location="cpu", weights_only=True),
            metrics=json.loads(metrics_path.read_text()) if metrics_path.is_file() else {},
            extra=config.get("extra", {}),
            identity_names=[str(n) for n in config.get("identity_names", [])],
        )

    def build_module(self) -> nn.Module:
        """The inference module (eval mode, CPU, float32): a :class:`TopDownModel`
        or a ``BottomUpModel``."""
        if self.model_kind == "bottom_up":
            from ml_worker.bottomup import BottomUpModel

            assert self.bottom_up is not None
            model = BottomUpModel.from_dict(self.bottom_up)
            model.load_state_dict(self.state["bottom_up"])
            return BottomUpPredictor(model, self.max_instances).eval()
        assert self.geometry is not None
        from ml_worker.identity import build_instance_net

        centroid = build_model(self.geometry.centroid)
        instance = build_instance_net(self.geometry.instance, self.identity_names)
        centroid.load_state_dict(self.state["centroid"])
        instance.load_state_dict(self.state["instance"])
        return TopDownModel(centroid, instance, self.geometry).eval()


class BottomUpPredictor(nn.Module):
    """A bottom-up model plus its grouping, with the outputs of :class:`TopDownModel`.

    The grouping (:func:`ml_worker.bottomup.predict`) is numpy, so unlike the
    top-down model this is not one traceable graph; the instance axis is
    padded or cut to ``max_instances`` so both kinds give the same shapes.
    """

    def __init__(self, model: nn.Module, max_instances: int) -> None:
        super().__init__()
        self.model = model
        self.max_instances = max_instances

    @property
    def geometry(self) -> Any:
        """The bottom-up model's geometry (``num_nodes``, ``node_names``, ``edges`` ...)."""
        return self.model.geometry

    @property
    def num_nodes(self) -> int:
        return int(self.model.geometry.num_nodes)

    def forward(self, frames: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Like :meth:`TopDownModel.forward`; empty slots: NaN points, zero scores."""
        from ml_worker.bottomup import predict

        points, scores, inst = predict(self.model, frames.cpu().numpy(),
                                       max_instances=self.max_instances)
        n, i, k = len(points), self.max_instances, self.num_nodes
        out_p = np.full((n, i, k, 2), np.nan, np.float32)
        out_s = np.zeros((n, i, k), np.float32)
        out_i = np.zeros((n, i), np.float32)
        m = min(points.shape[1], i)
        out_p[:, :m], out_s[:, :m], out_i[:, :m] = points[:, :m], scores[:, :m], inst[:, :m]
        out_s, out_i = np.nan_to_num(out_s), np.nan_to_num(out_i)
        p = torch.from_numpy(out_p)
        return p, torch.from_numpy(out_s), torch.from_numpy(out_i), _bbox_centres(p)


def run_batch(module: nn.Module, frames: Tensor) -> tuple[Tensor, ...]:
    """One forward pass of either model kind (:class:`TopDownModel` or
    :class:`BottomUpPredictor`): ``(N, H, W, 3)`` uint8 -> ``points (N, I, K, 2)``,
    ``scores (N, I, K)``, ``instance_scores (N, I)``, ``anchors (N, I, 2)`` and, for a
    model with identities only, ``identity_scores (N, I, T)``."""
    return module(frames)


def _bbox_centres(points: Tensor) -> Tensor:
    """Bounding-box centres ``(..., 2)`` of ``(..., K, 2)`` points, NaN where none."""
    finite = torch.isfinite(points).all(dim=-1, keepdim=True)
    big = torch.full_like(points, float("inf"))
    low = torch.where(finite, points, big).amin(dim=-2)
    high = torch.where(finite, points, -big).amax(dim=-2)
    centre = (low + high) / 2
    return torch.where(torch.isfinite(centre), centre, torch.full_like(centre, float("nan")))


def output_shape(module: nn.Module) -> tuple[int, int]:
    """``(I, K)``: instance slots and nodes the module reports (before any batch ran)."""
    if isinstance(module, TopDownModel):
        return module.geometry.max_instances, module.geometry.num_nodes
    if isinstance(module, BottomUpPredictor):
        return module.max_instances, module.num_nodes
    raise TypeError(f"not a pose model: {type(module).__name__}")


def predict_instances(
    artifact: ModelArtifact | nn.Module,
    frames: np.ndarray,
    batch_size: int = 16,
    device: str | None = None,
) -> Predictions:
    """Predict every animal on frames, in batches.

    Args:
        artifact: a loaded artifact (or an already built module, to reuse it).
        frames: ``(N, H, W, 3)`` uint8 RGB (one video's frames: same size).
        batch_size: frames per forward pass.
        device: ``"cpu"``/``"cuda"``; default: CUDA when available.

    Returns:
        The predictions, ``I`` = the model's ``max_instances``.
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be (N, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    module = artifact.build_module() if isinstance(artifact, ModelArtifact) else artifact
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    module = module.to(dev).eval()
    parts: list[list[np.ndarray]] = []
    with torch.inference_mode():
        for start in range(0, len(frames), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(frames[start:start + batch_size]))
            parts.append([t.float().cpu().numpy() for t in run_batch(module, batch.to(dev))])
    if not parts:
        i, k = output_shape(module)
        return Predictions(np.zeros((0, i, k, 2), np.float32), np.zeros((0, i, k), np.float32),
                           np.zeros((0, i), np.float32), np.zeros((0, i, 2), np.float32))
    points, scores, instance_scores, anchors, *identity = (
        np.concatenate([p[j] for p in parts]).astype(np.float32) for j in range(len(parts[0])))
    return Predictions(points, scores, instance_scores, anchors,
                       identity[0] if identity else None)


def predict_frames(
    artifact: ModelArtifact | nn.Module,
    frames: np.ndarray,
    batch_size: int = 16,
    device: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Predict keypoints on frames, in batches (arguments as :func:`predict_instances`).

    Returns:
        ``points (N, I, K, 2)`` float32 frame pixels (x, y), NaN for empty
        slots, and ``scores (N, I, K)`` float32 peak confidences
        (:func:`predict_instances` also gives instance scores and anchors).
    """
    preds = predict_instances(artifact, frames, batch_size, device)
    return preds.points, preds.scores
