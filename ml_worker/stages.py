"""Training batches for the two top-down stages (pure tensor code, no loop).

:class:`FrameBank` holds the training frames once, as one zero-padded uint8
tensor ``(N, 3, H, W)`` plus keypoints and anchors. A stage turns it into
batches ``(x, y, mask)``:

* centroid: frames average-pooled by ``centroid_downsample`` (done once),
  rotated/zoomed/flipped about the animal and shifted, with one Gaussian at
  the anchor;
* instance: a ``crop_size`` crop around the anchor (jittered by up to
  ``aug_translate_px``, like the centroid stage's error), rotated, zoomed and
  flipped (symmetric nodes swapped), one Gaussian per node.

Both use the same warp as inference (:mod:`ml_worker.augment`), so an
unaugmented batch is exactly what the deployed model sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import Tensor

from ml_worker.augment import (
    AugmentParams,
    affine_matrix,
    flip_permutation,
    photometric,
    random_geometry,
    transform_points,
    warp_images,
)
from ml_worker.config import TrainConfig
from ml_worker.dataset import PoseDataset, anchor_points
from ml_worker.heatmaps import make_confmaps
from ml_worker.pipeline import Geometry, pool_frames

Batch = tuple[Tensor, Tensor, Tensor]


@dataclass
class FrameBank:
    """Frames and labels as tensors.

    Attributes:
        images: ``(N, 3, H, W)`` uint8, zero-padded to the largest frame.
        keypoints: ``(N, K, 2)`` float32, NaN where unlabeled.
        labeled: ``(N, K)`` float32 1/0.
        anchors: ``(N, 2)`` float32 bounding-box centres.
        frame_hw: (H, W) of the largest frame.
    """

    images: Tensor
    keypoints: Tensor
    labeled: Tensor
    anchors: Tensor
    frame_hw: tuple[int, int]

    @classmethod
    def from_dataset(cls, ds: PoseDataset, device: torch.device) -> FrameBank:
        """Stack a dataset's frames (on ``device``)."""
        h = max(s.image.shape[0] for s in ds.samples)
        w = max(s.image.shape[1] for s in ds.samples)
        images = torch.zeros(len(ds), 3, h, w, dtype=torch.uint8)
        for i, s in enumerate(ds.samples):
            images[i, :, : s.image.shape[0], : s.image.shape[1]] = torch.from_numpy(
                np.array(s.image)).permute(2, 0, 1)
        kp = ds.keypoints()
        anchors = np.nan_to_num(anchor_points(kp), nan=0.0)
        return cls(images.to(device), torch.from_numpy(kp).to(device),
                   torch.from_numpy(~np.isnan(kp).any(-1)).float().to(device),
                   torch.from_numpy(anchors.astype(np.float32)).to(device), (h, w))


@dataclass
class StageData:
    """Batch makers of one stage."""

    n_train: int
    train_batch: Callable[[Tensor, torch.Generator], Batch]
    val_batches: Callable[[], Iterator[Batch]]


def _cached(make: Callable[[], list[Batch]]) -> Callable[[], Iterator[Batch]]:
    cache: list[Batch] = []

    def batches() -> Iterator[Batch]:
        if not cache:
            cache.extend(make())
        return iter(cache)

    return batches


def _augment(cfg: TrainConfig, flip: bool) -> AugmentParams:
    return AugmentParams(cfg.aug_rotation_deg, cfg.aug_scale, cfg.aug_translate_px,
                         cfg.aug_brightness, cfg.aug_contrast, cfg.aug_noise_std, flip)


def centroid_stage(bank: FrameBank, val: FrameBank, g: Geometry, cfg: TrainConfig,
                   symmetries: Sequence[tuple[int, int]]) -> StageData:
    """Batches for the centroid net: pooled frames -> one anchor map."""
    down, stride = g.centroid_downsample, g.centroid.output_stride
    # whole frames: small rotations only (large ones would fill the frame with black)
    params = replace(_augment(cfg, cfg.aug_flip), rotation_deg=min(cfg.aug_rotation_deg, 15.0))

    def pooled(b: FrameBank) -> tuple[Tensor, Tensor]:
        low = torch.cat([pool_frames(b.images[i:i + 16].float() / 255, down, g.centroid.max_stride)
                         for i in range(0, len(b.images), 16)])
        return low, (b.anchors - (down - 1) / 2) / down

    low, anchors = pooled(bank)
    h, w = low.shape[-2:]
    shift_range = 0.1 * max(h, w)

    def targets(points: Tensor) -> tuple[Tensor, Tensor]:
        maps = make_confmaps(points[:, None], h // stride, w // stride, stride,
                             g.centroid_sigma_px)
        return maps, torch.ones(len(points), 1, device=points.device)

    def train_batch(idx: Tensor, gen: torch.Generator) -> Batch:
        scale, angle, flip, _ = random_geometry(len(idx), params, gen)
        shift = shift_range * (2 * torch.rand(len(idx), 2, generator=gen) - 1)
        a = anchors[idx]
        dev = a.device
        m = affine_matrix(a, a + shift.to(dev), scale.to(dev), angle.to(dev), flip.to(dev))
        x = photometric(warp_images(low[idx], m, h, w).cpu(), params, gen).to(dev)
        return (x, *targets(transform_points(a[:, None], m)[:, 0]))

    def make_val() -> list[Batch]:
        v_low, v_anchors = pooled(val) if val is not bank else (low, anchors)
        v_low = _fit_canvas(v_low, h, w)
        return [(v_low[i:i + 16], *targets(v_anchors[i:i + 16]))
                for i in range(0, len(v_low), 16)]

    return StageData(len(low), train_batch, _cached(make_val))


def _fit_canvas(x: Tensor, h: int, w: int) -> Tensor:
    """Zero-pad or cut ``(B, C, H, W)`` to ``(B, C, h, w)``."""
    x = x[..., :h, :w]
    return torch.nn.functional.pad(x, (0, w - x.shape[-1], 0, h - x.shape[-2]))


def instance_stage(bank: FrameBank, val: FrameBank, g: Geometry, cfg: TrainConfig,
                   symmetries: Sequence[tuple[int, int]]) -> StageData:
    """Batches for the instance net: crops around the anchor -> one map per node."""
    crop, stride, scale0 = g.crop_size, g.instance.output_stride, g.input_scale
    params = _augment(cfg, cfg.aug_flip and bool(symmetries))
    perm = torch.tensor(flip_permutation(g.num_nodes, symmetries), device=bank.images.device)
    center = torch.tensor([(crop - 1) / 2] * 2, device=bank.images.device)
    side = crop // stride

    def make(b: FrameBank, idx: Tensor, scale: Tensor, angle: Tensor, flip: Tensor,
             shift: Tensor) -> Batch:
        m = affine_matrix(b.anchors[idx] + shift, center, scale0 * scale, angle, flip)
        x = warp_images(b.images[idx].float() / 255, m, crop, crop)
        pts = transform_points(b.keypoints[idx], m)
        mask = b.labeled[idx]
        pts = torch.where(flip[:, None, None], pts[:, perm], pts)
        mask = torch.where(flip[:, None], mask[:, perm], mask)
        return x, make_confmaps(pts, side, side, stride, g.sigma_px), mask

    def train_batch(idx: Tensor, gen: torch.Generator) -> Batch:
        dev = bank.images.device
        scale, angle, flip, shift = (t.to(dev) for t in random_geometry(len(idx), params, gen))
        x, y, mask = make(bank, idx.to(dev), scale, angle, flip, shift)
        return photometric(x.cpu(), params, gen).to(dev), y, mask

    def make_val() -> list[Batch]:
        out = []
        for start in range(0, len(val.images), 16):
            idx = torch.arange(start, min(start + 16, len(val.images)), device=val.images.device)
            n = len(idx)
            ones, zeros = torch.ones(n, device=idx.device), torch.zeros(n, device=idx.device)
            out.append(make(val, idx, ones, zeros, zeros.bool(), torch.zeros(n, 2,
                                                                            device=idx.device)))
        return out

    return StageData(len(bank.images), train_batch, _cached(make_val))
