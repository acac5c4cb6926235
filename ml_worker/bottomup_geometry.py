"""Bottom-up model geometry: input scale, network and grouping bounds chosen from the labels.

:func:`plan_bottomup` reads the labels: the typical animal size picks the input
scale (animals come out about :data:`ANIMAL_TARGET_PX` network pixels long,
never upsampled), the larger animals pick the encoder depth (receptive field)
and the training patch (about three animals wide), the longest labeled edges
bound the line lengths the grouping accepts, and a skeleton that does not
connect every node is completed with a minimum spanning tree. The result,
:class:`BottomUpGeometry`, is stored as JSON with the weights. :func:`to_network`
is the one rescaling of frames, shared by training and the exported model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from torch import Tensor
from torch.nn import functional as F

from ml_worker.config import TrainConfig
from ml_worker.model import UNetConfig, choose_unet
from ml_worker.paf import complete_edges

ANIMAL_TARGET_PX = 48.0
MAX_PATCH = 256


@dataclass(frozen=True)
class BottomUpGeometry:
    """Everything needed to rebuild a bottom-up model (stored as JSON next to its weights).

    Attributes:
        node_names: K node names.
        edges: (source, destination) node indices of the fields, skeleton
            edges plus any added to connect every node.
        symmetries: left/right node pairs (swapped by flips).
        input_scale: network pixels per frame pixel.
        sigma_px: confidence-map Gaussian sigma, network pixels.
        paf_sigma_px: field half-width, network pixels.
        max_edge_px: per edge, the longest plausible length in network pixels.
        patch_size: side of the square training patches, network pixels.
        animal_size_px: median labeled animal extent, frame pixels.
        unet: the network.
    """

    node_names: list[str]
    edges: list[tuple[int, int]]
    symmetries: list[tuple[int, int]]
    input_scale: float
    sigma_px: float
    paf_sigma_px: float
    max_edge_px: list[float]
    patch_size: int
    animal_size_px: float
    unet: UNetConfig

    @property
    def num_nodes(self) -> int:
        return len(self.node_names)

    @property
    def pool(self) -> int:
        """Integer average-pooling factor applied before the bilinear resize."""
        return max(1, int(1.0 / self.input_scale + 1e-6))

    def network_hw(self, height: int, width: int) -> tuple[int, int]:
        """Size of a ``height x width`` frame once rescaled (before padding)."""
        return max(1, round(height * self.input_scale)), max(1, round(width * self.input_scale))

    def frame_to_network(self, height: int, width: int) -> np.ndarray:
        """Per-axis factors ``k`` with ``network_px = (frame_px + 0.5) * k - 0.5`` (x, y)."""
        nh, nw = self.network_hw(height, width)
        p = self.pool
        return np.array([nw / (p * (width // p)), nh / (p * (height // p))], np.float64)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        out = asdict(self)
        out["kind"] = "bottom_up"
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BottomUpGeometry:
        """Inverse of :meth:`to_dict`."""
        values = {k: v for k, v in data.items() if k != "kind"}
        values["edges"] = [tuple(e) for e in values["edges"]]
        values["symmetries"] = [tuple(s) for s in values["symmetries"]]
        values["unet"] = UNetConfig(**values["unet"])
        return cls(**values)


def plan_bottomup(
    cfg: TrainConfig,
    points: Sequence[np.ndarray],
    *,
    node_names: Sequence[str],
    edges: Sequence[tuple[int, int]],
    symmetries: Sequence[tuple[int, int]],
    frame_hw: tuple[int, int],
) -> BottomUpGeometry:
    """Choose the input scale, network and grouping bounds from the labels.

    Args:
        cfg: training config (``input_scale``, ``crop_size``, ``max_stride``
            override the choices).
        points: per frame ``(I, K, 2)`` labels in frame pixels, NaN = absent.
        node_names: K names.
        edges: skeleton edges (may be empty).
        symmetries: symmetric node pairs.
        frame_hw: (height, width) of the largest training frame.

    Returns:
        The geometry.
    """
    k = len(node_names)
    instances = [np.asarray(p, np.float64).reshape(-1, k, 2) for p in points]
    flat = np.concatenate(instances) if instances else np.zeros((0, k, 2))
    extent = np.nanmax(flat, 1) - np.nanmin(flat, 1) if len(flat) else np.zeros((0, 2))
    size = np.nanmax(extent, 1) if len(extent) else np.zeros(0)
    size = size[np.isfinite(size) & (size > 0)]
    animal = float(np.median(size)) if size.size else 32.0
    large = float(np.percentile(size, 90)) if size.size else animal
    scale = cfg.input_scale or min(1.0, max(1 / 16, round(ANIMAL_TARGET_PX / animal * 8) / 8))
    used = complete_edges(edges, instances, k)
    unet = choose_unet(animal_size_px=large * scale, out_channels=k + 2 * len(used),
                       filters=cfg.filters, filters_rate=cfg.filters_rate,
                       output_stride=cfg.output_stride, max_stride=cfg.max_stride,
                       batchnorm=True)
    stretch = 1.25 * (1 + cfg.aug_scale)
    max_edge = []
    for s, d in used:
        lengths = np.linalg.norm(flat[:, s] - flat[:, d], axis=-1) if len(flat) else np.zeros(0)
        lengths = lengths[np.isfinite(lengths)]
        longest = float(lengths.max()) if lengths.size else large
        max_edge.append(longest * scale * stretch + 2 * cfg.output_stride)
    ms = unet.max_stride
    side = max(round(frame_hw[0] * scale), round(frame_hw[1] * scale))
    # patches about three animals wide: small steps are many steps, and on CPU
    # the step count, not the context, limits a short run
    patch = cfg.crop_size or min(side, MAX_PATCH, max(64, round(3 * large * scale)))
    patch = max(ms, int(math.ceil(patch / ms) * ms))
    return BottomUpGeometry(
        node_names=list(node_names), edges=used, symmetries=[tuple(s) for s in symmetries],
        input_scale=float(scale), sigma_px=cfg.sigma_px, paf_sigma_px=cfg.sigma_px,
        max_edge_px=max_edge, patch_size=patch, animal_size_px=animal, unet=unet,
    )


def to_network(images: Tensor, geometry: BottomUpGeometry) -> Tensor:
    """Rescale float images ``(B, C, H, W)`` to the network scale (no padding)."""
    h, w = images.shape[-2:]
    if geometry.pool > 1:
        images = F.avg_pool2d(images, geometry.pool)
    size = geometry.network_hw(int(h), int(w))
    if tuple(images.shape[-2:]) != size:
        images = F.interpolate(images, size=size, mode="bilinear", align_corners=False)
    return images
