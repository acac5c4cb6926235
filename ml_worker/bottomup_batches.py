"""Training patches and loss of the bottom-up model (pure tensor code, no loop).

:class:`PatchBank` holds the training frames once, already rescaled to the
network scale (:func:`ml_worker.bottomup_geometry.to_network`), with labels in
network pixels. :class:`PatchSampler` cuts square patches from it: centred on a
labeled animal most of the time (else anywhere, so empty floor is seen too),
rotated, zoomed and flipped with the shared warps of :mod:`ml_worker.augment`
(symmetric nodes swapped), then photometric noise; targets are one Gaussian per
labeled node in a shared per-node map and one part affinity field per edge
(:mod:`ml_worker.paf`). An unaugmented batch is what the deployed model sees.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F

from ml_worker.augment import (
    AugmentParams,
    affine_matrix,
    flip_permutation,
    photometric,
    random_geometry,
    transform_points,
    warp_images,
)
from ml_worker.bottomup_geometry import BottomUpGeometry, to_network
from ml_worker.paf import make_multi_confmaps, make_pafs

PAF_POSITIVE_WEIGHT = 9.0  # extra weight on field pixels near a limb; else "all zero" is a plateau


@dataclass
class PatchBank:
    """Training frames rescaled once, with labels in network pixels.

    ``images (F, 3, H, W)`` uint8 zero-padded, ``points (F, I, K, 2)`` with each
    frame's labeled instances first, ``counts (F,)`` labeled instances,
    ``centroids (F, I, 2)``, ``hw (F, 2)`` the rescaled sizes.
    """

    images: Tensor
    points: Tensor
    counts: Tensor
    centroids: Tensor
    hw: Tensor

    @classmethod
    def build(cls, images: Sequence[np.ndarray], points: Sequence[np.ndarray],
              g: BottomUpGeometry) -> PatchBank:
        k = g.num_nodes
        nets, pts = [], []
        for img, p in zip(images, points, strict=True):
            x = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].float() / 255
            nets.append((to_network(x, g)[0] * 255).round().to(torch.uint8))
            p = np.asarray(p, np.float64).reshape(-1, k, 2)
            p = p[np.isfinite(p).all(-1).any(-1)]  # labeled instances only
            pts.append((p + 0.5) * g.frame_to_network(*img.shape[:2]) - 0.5)
        n_inst = max([len(p) for p in pts] + [1])
        h = max(x.shape[1] for x in nets)
        w = max(x.shape[2] for x in nets)
        bank = torch.zeros(len(nets), 3, h, w, dtype=torch.uint8)
        kp = torch.full((len(nets), n_inst, k, 2), float("nan"))
        for i, (x, p) in enumerate(zip(nets, pts, strict=True)):
            bank[i, :, : x.shape[1], : x.shape[2]] = x
            kp[i, : len(p)] = torch.from_numpy(p).float()
        centroids = torch.nan_to_num(kp.nanmean(dim=2))
        counts = torch.tensor([len(p) for p in pts])
        hw = torch.tensor([[x.shape[1], x.shape[2]] for x in nets], dtype=torch.float32)
        return cls(bank, kp, counts, centroids, hw)


@dataclass
class PatchSampler:
    """Turns frame indices into augmented patches and their targets."""

    bank: PatchBank
    g: BottomUpGeometry
    params: AugmentParams
    device: torch.device
    perm: Tensor = field(init=False)
    edges: Tensor = field(init=False)

    def __post_init__(self) -> None:
        self.perm = torch.tensor(flip_permutation(self.g.num_nodes, self.g.symmetries))
        self.edges = torch.tensor(self.g.edges, dtype=torch.long).reshape(-1, 2)

    def centres(self, idx: Tensor, gen: torch.Generator) -> Tensor:
        """Patch centres: the frame centre when the patch covers the frame, else
        mostly a labeled animal (so patches rarely miss them) and sometimes anywhere."""
        b, p = len(idx), self.g.patch_size
        hw = self.bank.hw[idx]
        u = torch.rand(b, 6, generator=gen)
        anywhere = u[:, 0:2] * hw.flip(-1)
        counts = self.bank.counts[idx]
        pick = (u[:, 2] * counts).long().clamp(max=self.bank.points.shape[1] - 1)
        animal = self.bank.centroids[idx, pick] + (u[:, 3:5] - 0.5) * p / 2
        centre = torch.where(((counts > 0) & (u[:, 5] < 0.7))[:, None], animal, anywhere)
        whole = (hw <= p).all(-1, keepdim=True)
        shift = self.params.translate_px * (2 * u[:, 3:5] - 1)
        return torch.where(whole, (hw.flip(-1) - 1) / 2 + shift, centre)

    def batch(self, idx: Tensor, gen: torch.Generator | None) -> tuple[Tensor, ...]:
        """``(x, confmap targets, paf targets, paf weights)``; ``gen=None``: no augmentation."""
        b, p = len(idx), self.g.patch_size
        if gen is None:
            hw = self.bank.hw[idx]
            first = self.bank.centroids[idx, 0]
            whole = (hw <= p).all(-1, keepdim=True) | (self.bank.counts[idx] == 0)[:, None]
            centre = torch.where(whole, (hw.flip(-1) - 1) / 2, first)
            scale, angle, flip = torch.ones(b), torch.zeros(b), torch.zeros(b, dtype=torch.bool)
        else:
            centre = self.centres(idx, gen)
            scale, angle, flip, _ = random_geometry(b, self.params, gen)
        images, pts, centre = self._windows(idx, centre, scale)
        m = affine_matrix(centre, torch.full((2,), (p - 1) / 2), scale, angle, flip)
        x = warp_images(images.float() / 255, m, p, p)
        n_inst, k = pts.shape[1:3]
        pts = transform_points(pts.reshape(b, n_inst * k, 2), m).reshape(b, n_inst, k, 2)
        pts = torch.where(flip[:, None, None, None], pts[:, :, self.perm], pts)
        if gen is not None:
            x = photometric(x, self.params, gen)
        s, side = self.g.unet.output_stride, p // self.g.unet.output_stride
        conf = make_multi_confmaps(pts, side, side, s, self.g.sigma_px)
        pafs, weight = make_pafs(pts, self.edges, side, side, s, self.g.paf_sigma_px)
        return tuple(t.to(self.device) for t in (x, conf, pafs, weight))

    def _windows(self, idx: Tensor, centre: Tensor, scale: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Cut the part of each frame a patch can reach (so big frames are not warped whole)."""
        images, pts = self.bank.images[idx], self.bank.points[idx]
        p, (h, w) = self.g.patch_size, images.shape[-2:]
        side = int(math.ceil(p * math.sqrt(2) / float(scale.min()))) + 4
        if side >= max(h, w):
            return images, pts, centre
        out = torch.zeros(len(idx), 3, side, side, dtype=torch.uint8)
        corner = (centre - side / 2).round()
        for i, (x0, y0) in enumerate(corner.long().tolist()):
            xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
            if xb > xa and yb > ya:
                out[i, :, ya - y0:yb - y0, xa - x0:xb - x0] = images[i, :, ya:yb, xa:xb]
        return out, pts - corner[:, None, None], centre - corner


def bottomup_loss(out: Tensor, conf: Tensor, pafs: Tensor, weight: Tensor) -> Tensor:
    """Binary cross-entropy on the maps plus weighted squared error on the fields.

    (A quality focal loss on the maps learned node identities more slowly: its
    small weight on half-confident wrong peaks left every node's map firing on
    every part after 150 steps.) Both terms are normalised by the mass of their targets, so they stay of order
    one whatever the number of animals; an empty batch still learns background.

    Args:
        out: ``(B, K + 2E, h, w)`` raw network output.
        conf: ``(B, K, h, w)`` Gaussian targets.
        pafs: ``(B, 2E, h, w)`` field targets.
        weight: ``(B, E, h, w)`` field magnitudes.

    Returns:
        Scalar loss.
    """
    k = conf.shape[1]
    logits = out[:, :k].float()
    bce = F.binary_cross_entropy_with_logits(logits, conf, reduction="none")
    conf_loss = bce.sum() / conf.sum().clamp(min=1.0)
    emphasis = 1.0 + PAF_POSITIVE_WEIGHT * weight.repeat_interleave(2, dim=1)
    paf_loss = ((out[:, k:].float() - pafs).pow(2) * emphasis).sum() / weight.sum().clamp(min=1.0)
    return conf_loss + paf_loss
