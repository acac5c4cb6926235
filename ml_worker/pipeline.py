"""Top-down inference for one animal: find it at low resolution, then look closely.

Flow of :class:`TopDownModel` (also what TorchScript/ONNX exports contain):

1. frames ``(N, H, W, 3)`` uint8 -> float in [0, 1], channels first;
2. average-pool by ``centroid_downsample`` (an exact, alias-free downscale),
   zero-pad to a multiple of the centroid net's stride, run the centroid
   U-Net, take its sub-pixel peak: the animal's anchor in frame pixels;
3. sample a ``crop_size`` square centred on the anchor at ``input_scale``
   (``grid_sample``, the same warp as training, see :mod:`ml_worker.augment`);
4. run the instance U-Net on the crop, take one sub-pixel peak per node and map
   it back to frame pixels.

:func:`plan_geometry` chooses the numbers (pooling factor, crop size, input
scale, encoder depths) from the training labels and the :class:`TrainConfig`,
so pixels are spent where the animal is.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ml_worker.augment import sampling_grid
from ml_worker.config import TrainConfig
from ml_worker.dataset import animal_radius
from ml_worker.heatmaps import find_peaks, logits_to_confmaps, window_radius
from ml_worker.model import UNet, UNetConfig, choose_unet


@dataclass(frozen=True)
class Geometry:
    """Preprocessing and architecture chosen from the labels (stored in config.json).

    Attributes:
        frame_height: height of the training frames (largest).
        frame_width: width of the training frames (largest).
        num_nodes: K.
        centroid_downsample: integer average-pooling factor for the centroid net.
        crop_size: side of the instance crop, in network pixels.
        input_scale: network pixels per frame pixel inside the crop.
        animal_radius_px: max anchor-to-keypoint distance in frame pixels.
        sigma_px: instance Gaussian sigma, network pixels.
        centroid_sigma_px: centroid Gaussian sigma, pooled pixels.
        centroid: centroid U-Net.
        instance: instance U-Net.
    """

    frame_height: int
    frame_width: int
    num_nodes: int
    centroid_downsample: int
    crop_size: int
    input_scale: float
    animal_radius_px: float
    sigma_px: float
    centroid_sigma_px: float
    centroid: UNetConfig
    instance: UNetConfig

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Geometry:
        """Inverse of :meth:`to_dict`."""
        values = dict(data)
        values["centroid"] = UNetConfig(**values["centroid"])
        values["instance"] = UNetConfig(**values["instance"])
        return cls(**values)


def _round_up(value: float, multiple: int) -> int:
    return int(math.ceil(value / multiple) * multiple)


def plan_geometry(cfg: TrainConfig, keypoints: np.ndarray, frame_hw: tuple[int, int]) -> Geometry:
    """Choose input scales, crop size and network depths from the labels.

    Args:
        cfg: training config (``None`` geometry fields are chosen here).
        keypoints: ``(N, K, 2)`` training keypoints, NaN where unlabeled.
        frame_hw: (height, width) of the largest training frame.

    Returns:
        The geometry.
    """
    k = keypoints.shape[1]
    radius = max(animal_radius(keypoints), 4.0)
    size_full = 2 * radius
    down = cfg.centroid_downsample or max(1, round(size_full / cfg.centroid_target_size_px))
    centroid = choose_unet(animal_size_px=size_full / down, out_channels=1, filters=cfg.filters,
                           filters_rate=cfg.filters_rate, output_stride=cfg.output_stride)
    # room for the rotated/zoomed animal plus the anchor error of the centroid stage
    margin = max(cfg.aug_translate_px, 2.0 * down) + 4.0
    crop_full = 2 * (radius * (1 + cfg.aug_scale) + margin)
    if cfg.crop_size is not None:
        scale = cfg.input_scale or min(1.0, cfg.crop_size / crop_full)
    else:
        scale = cfg.input_scale or min(1.0, cfg.max_crop_size / crop_full)
    instance = choose_unet(animal_size_px=size_full * scale, out_channels=k, filters=cfg.filters,
                           filters_rate=cfg.filters_rate, output_stride=cfg.output_stride,
                           max_stride=cfg.max_stride, batchnorm=cfg.batchnorm)
    crop = cfg.crop_size or _round_up(crop_full * scale, instance.max_stride)
    crop = _round_up(crop, instance.max_stride)
    return Geometry(
        frame_height=int(frame_hw[0]), frame_width=int(frame_hw[1]), num_nodes=k,
        centroid_downsample=int(down), crop_size=int(crop), input_scale=float(scale),
        animal_radius_px=float(radius), sigma_px=cfg.sigma_px,
        centroid_sigma_px=cfg.centroid_sigma_px, centroid=centroid, instance=instance,
    )


def pool_frames(images: Tensor, down: int, multiple: int) -> Tensor:
    """Average-pool images and zero-pad them to a multiple of the net's stride.

    Args:
        images: ``(B, 3, H, W)`` float.
        down: pooling factor.
        multiple: pad height and width up to a multiple of this.

    Returns:
        ``(B, 3, h, w)`` with ``h = ceil(floor(H / down) / multiple) * multiple``.
    """
    low = F.avg_pool2d(images, down) if down > 1 else images
    h, w = low.shape[-2:]
    return F.pad(low, (0, (-w) % multiple, 0, (-h) % multiple))


class TopDownModel(nn.Module):
    """Frames in, keypoints out: centroid U-Net + instance U-Net."""

    def __init__(self, centroid: UNet, instance: UNet, geometry: Geometry) -> None:
        super().__init__()
        self.centroid = centroid
        self.instance = instance
        self.geometry = geometry
        g = geometry
        self.down = g.centroid_downsample
        self.c_stride = g.centroid.output_stride
        self.i_stride = g.instance.output_stride
        self.c_radius = window_radius(g.centroid_sigma_px, self.c_stride)
        self.i_radius = window_radius(g.sigma_px, self.i_stride)
        self.crop = g.crop_size
        self.scale = g.input_scale

    def locate(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Anchor of the animal in each frame.

        Args:
            images: ``(B, 3, H, W)`` float in [0, 1].

        Returns:
            ``anchors (B, 2)`` in frame pixels and ``scores (B,)``.
        """
        low = pool_frames(images, self.down, self.geometry.centroid.max_stride)
        maps = logits_to_confmaps(self.centroid(low), self.geometry.centroid_sigma_px,
                                  self.c_stride)
        peak, score = find_peaks(maps, self.c_stride, self.c_radius)
        anchors = peak[:, 0] * self.down + (self.down - 1) / 2
        return anchors, score[:, 0]

    def crops(self, images: Tensor, anchors: Tensor) -> Tensor:
        """Crops ``(B, 3, crop, crop)`` centred on ``anchors`` ``(B, 2)``."""
        b = anchors.shape[0]
        c = (self.crop - 1) / 2
        m = torch.zeros(b, 2, 3, dtype=images.dtype, device=images.device)
        m[:, 0, 0] = 1 / self.scale
        m[:, 1, 1] = 1 / self.scale
        m[:, :, 2] = anchors - c / self.scale
        grid = sampling_grid(m, self.crop, self.crop, images.shape[-2], images.shape[-1])
        return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros",
                             align_corners=False)

    def forward(self, frames: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Predict keypoints.

        Args:
            frames: ``(N, H, W, 3)`` uint8 RGB.

        Returns:
            ``points (N, K, 2)`` frame pixels (x, y), ``scores (N, K)`` peak
            confidence (about 1 for a clean peak), ``anchors (N, 2)``.
        """
        images = frames.permute(0, 3, 1, 2).float() / 255.0
        anchors, _ = self.locate(images)
        maps = logits_to_confmaps(self.instance(self.crops(images, anchors)),
                                  self.geometry.sigma_px, self.i_stride)
        peaks, scores = find_peaks(maps, self.i_stride, self.i_radius)
        c = (self.crop - 1) / 2
        points = (peaks - c) / self.scale + anchors[:, None, :]
        return points, scores, anchors

