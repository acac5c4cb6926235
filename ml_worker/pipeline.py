"""Top-down inference: find every animal at low resolution, then look closely at each.

Flow of :class:`TopDownModel` (also what TorchScript/ONNX exports contain):

1. frames ``(N, H, W, 3)`` uint8 -> float in [0, 1], channels first;
2. average-pool by ``centroid_downsample`` (an exact, alias-free downscale),
   zero-pad to a multiple of the centroid net's stride, run the centroid
   U-Net and take its peaks: the animals' anchors in frame pixels. With one
   animal per frame (``max_instances == 1``) the map is a spatial softmax and
   its single sub-pixel argmax is the anchor (the fast path); with several it
   is a per-bin sigmoid, and up to ``max_instances`` local maxima above
   ``centroid_threshold`` and at least ``centroid_min_distance_px`` apart are
   kept (non-maximum suppression), padded to that fixed count so the graph
   stays static;
3. sample a ``crop_size`` square centred on each anchor at ``input_scale``
   (``grid_sample``, the same warp as training, see :mod:`ml_worker.augment`);
4. run the centered-instance U-Net on the crops (it was trained to find the
   animal at the crop centre, other animals in the crop being background),
   take one sub-pixel peak per node and map it back to frame pixels.

Outputs carry an instance axis ``I = max_instances``: padding slots have NaN
points and zero scores. An instance's score is its centroid peak times the
mean of its node peaks.

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
from ml_worker.heatmaps import find_local_peaks, find_peaks, logits_to_confmaps, window_radius
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
        max_instances: animals per frame (the output's instance axis); 1 keeps
            the single-animal softmax centroid.
        centroid_threshold: minimum centroid peak (sigmoid) for an animal
            (several animals only).
        centroid_min_distance_px: minimum distance between two anchors, frame
            pixels (several animals only).
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
    max_instances: int = 1
    centroid_threshold: float = 0.2
    centroid_min_distance_px: float = 0.0

    @property
    def multi_instance(self) -> bool:
        """Several animals per frame: sigmoid centroid maps with peak finding."""
        return self.max_instances > 1

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


def plan_geometry(cfg: TrainConfig, keypoints: np.ndarray, frame_hw: tuple[int, int],
                  max_instances: int = 1) -> Geometry:
    """Choose input scales, crop size and network depths from the labels.

    Args:
        cfg: training config (``None`` geometry fields are chosen here).
        keypoints: ``(..., K, 2)`` training keypoints of every animal, NaN where unlabeled.
        frame_hw: (height, width) of the largest training frame.
        max_instances: animals per frame the model reports.

    Returns:
        The geometry.
    """
    k = keypoints.shape[-2]
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
        max_instances=int(max_instances), centroid_min_distance_px=float(0.5 * radius),
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
    """Frames in, keypoints of every animal out: centroid U-Net + centered-instance U-Net."""

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
        self.max_instances = g.max_instances
        self.nms_radius = max(1, round(g.centroid_min_distance_px / (self.down * self.c_stride)))

    def locate(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Anchors of the animals in each frame.

        Args:
            images: ``(B, 3, H, W)`` float in [0, 1].

        Returns:
            ``anchors (B, I, 2)`` in frame pixels (NaN for empty slots) and
            ``scores (B, I)`` centroid peak values (0 for empty slots).
        """
        low = pool_frames(images, self.down, self.geometry.centroid.max_stride)
        logits = self.centroid(low)
        if self.geometry.multi_instance:
            peak, score = find_local_peaks(torch.sigmoid(logits), self.c_stride,
                                           self.max_instances, self.geometry.centroid_threshold,
                                           self.nms_radius, self.c_radius)
        else:
            maps = logits_to_confmaps(logits, self.geometry.centroid_sigma_px, self.c_stride)
            peak, score = find_peaks(maps, self.c_stride, self.c_radius)
        return peak * self.down + (self.down - 1) / 2, score

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

    def forward(self, frames: Tensor) -> tuple[Tensor, ...]:
        """Predict the keypoints of every animal.

        Args:
            frames: ``(N, H, W, 3)`` uint8 RGB.

        Returns:
            ``points (N, I, K, 2)`` frame pixels (x, y), NaN for empty slots;
            ``scores (N, I, K)`` node peak confidence (about 1 for a clean
            peak, 0 for empty slots); ``instance_scores (N, I)``;
            ``anchors (N, I, 2)``. ``I`` is ``geometry.max_instances``; the
            animals are ordered by centroid confidence. An instance net with
            identities (:class:`ml_worker.identity.IdentityUNet`) adds a fifth
            output, ``identity_scores (N, I, T)`` softmax probabilities (0 for
            empty slots).
        """
        images = frames.permute(0, 3, 1, 2).float() / 255.0
        anchors, anchor_scores = self.locate(images)
        n, i = anchors.shape[:2]
        # one crop per slot: slot-major so each grid_sample reads its own frame
        safe = torch.nan_to_num(anchors, nan=0.0)
        crops = torch.cat([self.crops(images, safe[:, j]) for j in range(i)]) if i > 1 else (
            self.crops(images, safe[:, 0]))
        out = self.instance(crops)
        logits = None
        if isinstance(out, tuple):  # decided once, when traced: an identity model
            out, logits = out
        maps = logits_to_confmaps(out, self.geometry.sigma_px, self.i_stride)
        peaks, scores = find_peaks(maps, self.i_stride, self.i_radius)
        c = (self.crop - 1) / 2
        k = peaks.shape[1]
        peaks = peaks.reshape(i, n, k, 2).transpose(0, 1)
        scores = scores.reshape(i, n, k).transpose(0, 1)
        points = (peaks - c) / self.scale + anchors[:, :, None, :]
        instance_scores = anchor_scores * scores.clamp(0, 1).mean(dim=-1)
        if self.geometry.multi_instance:
            found = anchor_scores > 0
            scores = torch.where(found[..., None], scores, torch.zeros_like(scores))
        if logits is None:
            return points, scores, instance_scores, anchors
        identity = torch.softmax(logits.float(), dim=-1).reshape(i, n, -1).transpose(0, 1)
        if self.geometry.multi_instance:
            identity = torch.where((anchor_scores > 0)[..., None], identity,
                                   torch.zeros_like(identity))
        return points, scores, instance_scores, anchors, identity
