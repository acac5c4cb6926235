"""Training batches for the two top-down stages (pure tensor code, no loop).

:class:`FrameBank` holds the training frames once, as one zero-padded uint8
tensor ``(N, 3, H, W)`` plus keypoints and anchors of every animal (padded to
``I`` slots). A stage turns it into batches ``(x, y, mask)`` and names its loss:

* centroid: frames average-pooled by ``centroid_downsample`` (done once),
  rotated/zoomed/flipped and shifted. One animal: one Gaussian at the anchor,
  spatial cross-entropy (exactly one peak). Several: the maximum of one
  Gaussian per animal, focal loss on per-bin sigmoids (any number of peaks,
  frames without animals are all background);
* instance: samples are (frame, animal) pairs; a ``crop_size`` crop around that
  animal's anchor (jittered by up to ``aug_translate_px``, like the centroid
  stage's error), rotated, zoomed and flipped (symmetric nodes swapped), one
  Gaussian per node *of that animal only*: the other animals in the crop are
  background, which teaches the net to report the centred animal. With
  identities (``FrameBank.tracks``) the target is ``(maps, track index)`` and the
  loss adds the identity cross-entropy (:mod:`ml_worker.identity`).

Both use the same warp as inference (:mod:`ml_worker.augment`), so an
unaugmented batch is exactly what the deployed model sees.
"""

from __future__ import annotations

import math
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
from ml_worker.heatmaps import make_confmaps, peak_focal_loss, spatial_cross_entropy
from ml_worker.identity import identity_loss, track_labels
from ml_worker.pipeline import Geometry, pool_frames

Batch = tuple[Tensor, Tensor, Tensor]
# Largest side of the centroid net's training patches, pooled pixels (multi-animal, large
# frames). Patches are otherwise sized to the animal: CENTROID_PATCH_ANIMALS animal lengths,
# at least CENTROID_PATCH_MIN. Birds in 1920x1080 frames learned nothing in 2 CPU minutes on
# whole 216x384 pooled frames (flat 0.1 maps) and found 6 of 7 birds on 128-px patches.
CENTROID_PATCH = 384
CENTROID_PATCH_ANIMALS = 4.5
CENTROID_PATCH_MIN = 64


@dataclass
class FrameBank:
    """Frames and labels as tensors.

    Attributes:
        images: ``(N, 3, H, W)`` uint8, zero-padded to the largest frame.
        keypoints: ``(N, I, K, 2)`` float32, NaN where unlabeled or padding.
        labeled: ``(N, I, K)`` float32 1/0.
        anchors: ``(N, I, 2)`` float32 bounding-box centres (NaN for padding).
        instances: ``(M, 2)`` long (frame, slot) of every labeled animal.
        frame_hw: (H, W) of the largest frame.
        tracks: ``(N, I)`` long identity index of every slot (-1: none), or None
            when the model learns no identities.
    """

    images: Tensor
    keypoints: Tensor
    labeled: Tensor
    anchors: Tensor
    instances: Tensor
    frame_hw: tuple[int, int]
    tracks: Tensor | None = None

    @classmethod
    def from_dataset(cls, ds: PoseDataset, device: torch.device,
                     max_instances: int | None = None,
                     identity: Sequence[str] = ()) -> FrameBank:
        """Stack a dataset's frames (on ``device``), ``max_instances`` slots per frame;
        ``identity``: the identity names whose indices become :attr:`tracks`."""
        h = max(s.image.shape[0] for s in ds.samples)
        w = max(s.image.shape[1] for s in ds.samples)
        images = torch.zeros(len(ds), 3, h, w, dtype=torch.uint8)
        for i, s in enumerate(ds.samples):
            images[i, :, : s.image.shape[0], : s.image.shape[1]] = torch.from_numpy(
                np.array(s.image)).permute(2, 0, 1)
        kp = ds.keypoints(max(1, ds.max_instances if max_instances is None else max_instances))
        labeled = ~np.isnan(kp).any(-1)
        instances = np.argwhere(labeled.any(-1))
        tracks = (torch.from_numpy(track_labels(ds, identity, kp.shape[1])).to(device)
                  if identity else None)
        return cls(images.to(device), torch.from_numpy(kp).to(device),
                   torch.from_numpy(labeled).float().to(device),
                   torch.from_numpy(anchor_points(kp).astype(np.float32)).to(device),
                   torch.from_numpy(instances).long().to(device), (h, w), tracks)


@dataclass
class StageData:
    """Batch makers of one stage, and the loss its net is trained with."""

    n_train: int
    train_batch: Callable[[Tensor, torch.Generator], Batch]
    val_batches: Callable[[], Iterator[Batch]]
    loss: Callable[[Tensor, Tensor, Tensor], Tensor] = spatial_cross_entropy


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
    multi = g.multi_instance

    def pooled(b: FrameBank) -> tuple[Tensor, Tensor]:
        low = torch.cat([pool_frames(b.images[i:i + 16].float() / 255, down, g.centroid.max_stride)
                         for i in range(0, len(b.images), 16)])
        anchors = (b.anchors - (down - 1) / 2) / down  # (N, I, 2), NaN for padding
        # one animal: the first slot, an unlabeled frame's anchor at the origin (as before)
        return low, anchors if multi else torch.nan_to_num(anchors[:, :1], nan=0.0)

    low, anchors = pooled(bank)
    h, w = low.shape[-2:]
    shift_range = 0.1 * max(h, w)
    middle = torch.tensor([(w - 1) / 2, (h - 1) / 2], device=low.device)
    # Small animals in big frames (birds in 1920x1080) leave the pooled frame large: train
    # the fully convolutional net on patches around animals, infer on whole frames.
    m_stride = g.centroid.max_stride
    animal = 2 * g.animal_radius_px / down
    side = min(CENTROID_PATCH, max(CENTROID_PATCH_MIN, math.ceil(CENTROID_PATCH_ANIMALS * animal)))
    side = max(m_stride, -(-side // m_stride) * m_stride)
    ph, pw = (min(h, side), min(w, side)) if multi else (h, w)
    patched = (ph, pw) != (h, w)

    def targets(points: Tensor, oh: int = h, ow: int = w) -> tuple[Tensor, Tensor]:
        """``points (B, I, 2)`` -> maps ``(B, 1, oh, ow)`` (max over animals) and mask."""
        maps = make_confmaps(points, oh // stride, ow // stride, stride, g.centroid_sigma_px)
        return maps.amax(dim=1, keepdim=True), torch.ones(len(points), 1, device=points.device)

    def patch_centres(a: Tensor, gen: torch.Generator) -> Tensor:
        """One labeled animal per frame (a random point in a quarter of them, or if none)."""
        valid = ~torch.isnan(a[..., 0])
        weights = valid.float().cpu() + 1e-6
        pick = torch.multinomial(weights, 1, generator=gen)[:, 0].to(a.device)
        chosen = a[torch.arange(len(a), device=a.device), pick]
        anywhere = torch.rand(len(a), 2, generator=gen).to(a.device) * torch.tensor(
            [w - 1, h - 1], device=a.device)
        use_any = (torch.rand(len(a), generator=gen).to(a.device) < 0.25) | ~valid.any(1)
        return torch.where(use_any[:, None], anywhere, torch.nan_to_num(chosen))

    def train_batch(idx: Tensor, gen: torch.Generator) -> Batch:
        scale, angle, flip, _ = random_geometry(len(idx), params, gen)
        a = anchors[idx]
        dev = a.device
        if patched:
            pivot = patch_centres(a, gen)
            shift = 0.4 * torch.tensor([pw, ph]) * (2 * torch.rand(len(idx), 2, generator=gen) - 1)
            dst = torch.tensor([(pw - 1) / 2, (ph - 1) / 2]) + shift
        else:
            shift = shift_range * (2 * torch.rand(len(idx), 2, generator=gen) - 1)
            # one animal: rotate about it; several: about the frame centre
            pivot = middle.expand(len(idx), 2) if multi else a[:, 0]
            dst = pivot.cpu() + shift
        m = affine_matrix(pivot, dst.to(dev), scale.to(dev), angle.to(dev), flip.to(dev))
        x = photometric(warp_images(low[idx], m, ph, pw).cpu(), params, gen).to(dev)
        return (x, *targets(transform_points(a, m), ph, pw))

    def make_val() -> list[Batch]:
        v_low, v_anchors = pooled(val) if val is not bank else (low, anchors)
        v_low = _fit_canvas(v_low, h, w)
        return [(v_low[i:i + 16], *targets(v_anchors[i:i + 16]))
                for i in range(0, len(v_low), 16)]

    return StageData(len(low), train_batch, _cached(make_val),
                     peak_focal_loss if multi else spatial_cross_entropy)


def _fit_canvas(x: Tensor, h: int, w: int) -> Tensor:
    """Zero-pad or cut ``(B, C, H, W)`` to ``(B, C, h, w)``."""
    x = x[..., :h, :w]
    return torch.nn.functional.pad(x, (0, w - x.shape[-1], 0, h - x.shape[-2]))


def instance_stage(bank: FrameBank, val: FrameBank, g: Geometry, cfg: TrainConfig,
                   symmetries: Sequence[tuple[int, int]]) -> StageData:
    """Batches for the instance net: a crop around one animal -> one map per node of it."""
    crop, stride, scale0 = g.crop_size, g.instance.output_stride, g.input_scale
    params = _augment(cfg, cfg.aug_flip and bool(symmetries))
    perm = torch.tensor(flip_permutation(g.num_nodes, symmetries), device=bank.images.device)
    center = torch.tensor([(crop - 1) / 2] * 2, device=bank.images.device)
    side = crop // stride

    def make(b: FrameBank, idx: Tensor, scale: Tensor, angle: Tensor, flip: Tensor,
             shift: Tensor) -> Batch:
        f, j = b.instances[idx, 0], b.instances[idx, 1]
        m = affine_matrix(b.anchors[f, j] + shift, center, scale0 * scale, angle, flip)
        x = warp_images(b.images[f].float() / 255, m, crop, crop)
        pts = transform_points(b.keypoints[f, j], m)
        mask = b.labeled[f, j]
        pts = torch.where(flip[:, None, None], pts[:, perm], pts)
        mask = torch.where(flip[:, None], mask[:, perm], mask)
        maps = make_confmaps(pts, side, side, stride, g.sigma_px)
        if b.tracks is not None:  # an identity model: which animal is at the centre too
            return x, (maps, b.tracks[f, j]), mask  # type: ignore[return-value]
        return x, maps, mask

    def train_batch(idx: Tensor, gen: torch.Generator) -> Batch:
        dev = bank.images.device
        scale, angle, flip, shift = (t.to(dev) for t in random_geometry(len(idx), params, gen))
        x, y, mask = make(bank, idx.to(dev), scale, angle, flip, shift)
        return photometric(x.cpu(), params, gen).to(dev), y, mask

    def make_val() -> list[Batch]:
        out = []
        for start in range(0, len(val.instances), 16):
            idx = torch.arange(start, min(start + 16, len(val.instances)),
                               device=val.images.device)
            n = len(idx)
            ones, zeros = torch.ones(n, device=idx.device), torch.zeros(n, device=idx.device)
            out.append(make(val, idx, ones, zeros, zeros.bool(), torch.zeros(n, 2,
                                                                            device=idx.device)))
        return out

    loss = (identity_loss(spatial_cross_entropy, cfg.identity_loss_weight)
            if bank.tracks is not None else spatial_cross_entropy)
    return StageData(len(bank.instances), train_batch, _cached(make_val), loss)
